import { z } from 'zod';
import { listEvents } from '../../../events/integration-events';
import { invoicesMatching } from '../../../orders/invoice-search';
import { orderDeliverables, orderViews } from '../../../orders/order-view';
import { customCheckoutAnswer, customCheckoutSchema } from '../../custom-checkout-answer';
import type { ApiDependencies } from '../../context';
import type { RequestAuth } from '../../middleware/authenticate';
import { pagedSearch } from '../../paged-search';
import { type PageQuery, pageQuery, pageUrl } from '../../pagination';
import type { DocumentedRouter } from '../../route';
import { rowId } from '../../schemas/common';
import {
  dynamicDeliveryRetryBody,
  fulfillmentNotificationsBody,
  fulfillmentRetryBody,
  invoiceCreateBody,
  replacementBody,
  statusChangeBody,
} from '../../schemas/invoices';
import { orderEventsQuery, orderSearchBody, searchPage, searchPageQuery } from '../../schemas/orders';
import { type SearchBody, SearchTranslator } from '../../search';
import { type OrderGateways, orderActions } from './order-actions';

const orderView = z
  .object({ id: z.number(), status: z.string(), timeline: z.array(z.object({ status: z.string(), set_at: z.string() })) })
  .passthrough()
  .openapi('Order');
const orderParams = z.object({ order: rowId });
const one = z.object({ data: orderView });
const ORDER = 'Order';

/** What an order search may filter or sort on. transaction_id matches anywhere in the payment's provider record (use contains). */
const orderSearch = new SearchTranslator(
  {
    id: 'invoices.id',
    status: 'invoices.status',
    email: 'invoices.customer_email',
    customer_email: 'invoices.customer_email',
    customer_id: 'invoices.customer_id',
    payment_method: 'invoices.payment_method',
    currency: 'invoices.currency',
    coupon_id: 'invoices.coupon_id',
    coupon_code: 'invoices.coupon_code',
    transaction_id: 'invoices.gateway',
    total_cents: 'invoices.total_cents',
    needs_attention: 'invoices.needs_attention',
    created_at: 'invoices.created_at',
    updated_at: 'invoices.updated_at',
  },
  ['invoices.customer_email'],
);

/**
 * SellApp's orders (`/v2/orders`): the store's invoices seen as the spec's Order. The same rows
 * and the same `order` workflow as `/v2/invoices/{id}` (an order's id is its invoice's id); every
 * action goes through the services the invoice routes call (./order-actions.ts).
 */
export function registerOrderRoutes(router: DocumentedRouter, deps: ApiDependencies, gateways: OrderGateways): void {
  const actions = orderActions(deps, gateways);
  const view = async (auth: RequestAuth, id: number, checkoutUrl = false) =>
    (await orderViews(deps.db, auth.store.id, [id], { checkoutUrl }))[0]!;
  const page = (auth: RequestAuth, query: PageQuery, req: { baseUrl: string; path: string }, search?: SearchBody) =>
    pagedSearch({
      from: invoicesMatching(deps.db, auth.store.id, auth.livemode, { search_by: 'default' }),
      rows: (q) => q.select('invoices.id'),
      search,
      translator: orderSearch,
      order: [['invoices.id', 'desc']],
      page: query,
      path: pageUrl(deps.config.api.publicBaseUrl, req),
      view: (rows) =>
        orderViews(
          deps.db,
          auth.store.id,
          rows.map((r) => r.id),
        ),
    });
  const common = { tags: ['Orders'], params: orderParams };
  const write = { ...common, scope: 'invoices:write' as const, modes: 'both' as const };

  router
    .route({
      method: 'get',
      path: '/orders',
      summary: 'List orders, newest first',
      tags: ['Orders'],
      scope: 'invoices:read',
      query: pageQuery,
      response: z.object({ data: z.array(orderView) }).passthrough(),
      handler: ({ auth, query, req }) => page(auth, query, req),
    })
    .route({
      method: 'post',
      path: '/orders/search',
      summary: 'Search orders (filters eq / in / contains on id, status, email, customer_id, payment_method, transaction_id, dates…)',
      tags: ['Orders'],
      scope: 'invoices:read',
      query: searchPageQuery,
      body: orderSearchBody,
      response: z.object({ data: z.array(orderView) }).passthrough(),
      handler: ({ auth, query, body, req }) => page(auth, searchPage(query, body), req, body),
    })
    .route({
      method: 'post',
      path: '/orders',
      summary: 'Create an order: a pending invoice, the same one /v2/invoices/{id} shows',
      tags: ['Orders'],
      scope: 'invoices:write',
      modes: 'both',
      body: invoiceCreateBody,
      status: 201,
      response: one,
      handler: async ({ auth, body, res }) => ({ data: await view(auth, await actions.create(auth, body, res), true) }),
    })
    .route({
      ...common,
      method: 'get',
      path: '/orders/:order',
      summary: 'Retrieve an order: status, timeline, totals and line items',
      scope: 'invoices:read',
      response: one,
      handler: async ({ auth, params }) => ({ data: await view(auth, (await actions.find(auth, params.order, ORDER)).id) }),
    })
    .route({
      ...write,
      method: 'patch',
      path: '/orders/:order/status',
      summary: 'Set the status by hand (COMPLETED, VOIDED, REVIEW, DISPUTING), optionally only from expected_status',
      body: statusChangeBody,
      response: one,
      handler: async ({ auth, params, body }) => {
        await actions.setStatus(auth, params.order, body, ORDER);
        return { data: await view(auth, params.order) };
      },
    })
    .route({
      ...write,
      method: 'post',
      path: '/orders/:order/checkout',
      summary: 'Start checkout: 201 with the payment link, or 200 when nothing is to pay (the order completes)',
      body: z.object({ expected_status: z.string().nullable().optional() }).passthrough(),
      response: z.object({ data: orderView, message: z.string(), custom: customCheckoutSchema.optional() }),
      handler: async ({ auth, params, res }) => {
        const outcome = await actions.checkout(auth, params.order, ORDER);
        const data = await view(auth, params.order, true);
        if (outcome.kind === 'free') return { data, message: 'Nothing to pay: the order is completed and being delivered.' };
        res.status(201);
        if ('paymentUrl' in outcome) {
          data.payment = { ...data.payment, checkout_url: outcome.paymentUrl, has_checkout_url: true };
          return { data, message: 'A new payment session has been generated.' };
        }
        if (outcome.kind === 'custom') {
          const { message, payment_url, custom } = customCheckoutAnswer(outcome.custom, deps.config.api.publicBaseUrl, auth.store.id);
          data.payment = { ...data.payment, checkout_url: payment_url ?? null };
          return { data, message, custom };
        }
        const { crypto } = outcome;
        data.payment = { ...data.payment, checkout_url: crypto.payment_uri ?? null };
        return { data, message: `Pay ${crypto.amount} ${crypto.currency} to ${crypto.address} before ${crypto.expires_at}.`, crypto };
      },
    })
    .route({
      ...write,
      method: 'post',
      path: '/orders/:order/replacements',
      summary: 'Re-deliver lines of a paid order as a new, paid order linked to it (the answer is the new order)',
      body: replacementBody,
      response: one,
      handler: async ({ auth, params, body, res }) => ({
        data: await view(auth, await actions.replace(auth, params.order, body.product_variants, res, ORDER)),
      }),
    })
    .route({
      ...write,
      method: 'post',
      path: '/orders/:order/fulfillment-retries',
      summary: "Retry the failed delivery steps: the order's workflow decides (409 with why when nothing waits)",
      body: fulfillmentRetryBody,
      response: z.object({ data: orderView, meta: z.object({ effects_reset: z.number() }) }),
      handler: async ({ auth, params, body }) => {
        const reset = await actions.retryFulfillment(auth, params.order, body, ORDER);
        return { data: await view(auth, params.order), meta: { effects_reset: reset } };
      },
    })
    .route({
      ...write,
      method: 'post',
      path: '/orders/:order/dynamic-delivery-retries',
      summary: 'Retry one failed dynamic delivery (delivered_product_id: its step id)',
      status: 202,
      body: dynamicDeliveryRetryBody,
      response: z.object({ data: orderView, meta: z.object({ queued: z.boolean() }) }),
      handler: async ({ auth, params, body }) => {
        await actions.retryDynamicDelivery(auth, params.order, body.delivered_product_id, ORDER);
        return { data: await view(auth, params.order), meta: { queued: true } };
      },
    })
    .route({
      ...write,
      method: 'post',
      path: '/orders/:order/fulfillment-notifications',
      summary: "Send the order's delivery notices again",
      body: fulfillmentNotificationsBody,
      response: z.object({ data: orderView, meta: z.object({ notifications_sent: z.number() }) }),
      handler: async ({ auth, params, body }) => {
        const sent = await actions.resendNotices(auth, params.order, body, ORDER);
        return { data: await view(auth, params.order), meta: { notifications_sent: sent } };
      },
    })
    .route({
      ...common,
      method: 'get',
      path: '/orders/:order/deliverables',
      summary: 'What each line item delivered (files as expiring signed links)',
      scope: 'invoices:read',
      response: z.object({ data: z.array(z.object({ order_id: z.number(), line_item_id: z.number() }).passthrough()) }),
      handler: async ({ auth, params }) => {
        const order = await actions.find(auth, params.order, ORDER);
        return { data: await orderDeliverables(deps.db, deps.storage, order.id) };
      },
    })
    .route({
      ...common,
      method: 'get',
      path: '/orders/:order/events',
      summary: "The order's events, newest first (cursor: the previous page's meta.next_cursor)",
      scope: 'invoices:read',
      query: orderEventsQuery,
      response: z.object({ data: z.array(z.object({ id: z.string(), type: z.string() }).passthrough()), meta: z.object({}).passthrough() }),
      handler: async ({ auth, params, query }) => {
        const order = await actions.find(auth, params.order, ORDER);
        const after = query.cursor ?? query.after;
        return listEvents(
          deps.db,
          { storeId: auth.store.id, livemode: auth.livemode },
          { limit: query.limit, ...(after ? { after } : {}) },
          { orderId: order.id },
        );
      },
    });
}
