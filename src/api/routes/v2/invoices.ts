import { z } from 'zod';
import { rowId } from '../../schemas/common';
import type { StripeGateway } from '../../../gateways/stripe-gateway';
import type { PaypalGateway } from '../../../gateways/paypal/paypal-gateway';
import type { SecretBox } from '../../../security/secret-box';
import { invoiceCheckoutUrl } from '../../../orders/invoice-checkout-link';
import type { AsnLookup } from '../../../blacklists/asn-lookup';
import { markInvoicePaid } from '../../../orders/mark-paid';
import { invoicesMatching, type InvoiceFilters } from '../../../orders/invoice-search';
import { deliverablesView, invoiceViews } from '../../../orders/invoice-view';
import { pokeCryptoPayment } from '../../../gateways/crypto/crypto-payment-workflow-client';
import { customCheckoutAnswer, customCheckoutSchema } from '../../custom-checkout-answer';
import { paymentProofOf } from '../../../orders/payment-proof';
import type { ApiDependencies } from '../../context';
import { ApiError, notFound } from '../../errors';
import type { RequestAuth } from '../../middleware/authenticate';
import { pageUrl, type PageQuery } from '../../pagination';
import { pagedSearch } from '../../paged-search';
import type { DocumentedRouter } from '../../route';
import { describeUnheard } from '../../../outbox/engine-intents';
import { retryFulfillment, skipFulfillment, stuckOrders, voidOrder } from '../../../orders/order-ops';
import { failpoint } from '../../../failpoints';
import {
  dynamicDeliveryRetryBody,
  fulfillmentNotificationsBody,
  fulfillmentRetryBody,
  invoiceCreateBody,
  invoiceListQuery,
  invoiceSearchBody,
  replacementBody,
  statusChangeBody,
  stepSelection,
} from '../../schemas/invoices';
import { orderActions } from './order-actions';

const invoiceView = z
  .object({
    id: z.number(),
    status: z.object({ status: z.object({ status: z.string() }).passthrough() }).passthrough(),
    livemode: z.boolean(),
  })
  .passthrough()
  .openapi('Invoice');
const invoiceParams = z.object({ invoice: rowId });

export function registerInvoiceRoutes(
  router: DocumentedRouter,
  deps: ApiDependencies,
  gateways: { stripe: StripeGateway; paypal: PaypalGateway; secrets: SecretBox; asn: AsnLookup },
): void {
  const actions = orderActions(deps, gateways);
  const { engine } = actions;
  const views = (auth: RequestAuth, ids: number[]) =>
    invoiceViews(deps.db, auth.store.id, ids, {
      checkoutPage: (id) => invoiceCheckoutUrl(deps.config.api.publicBaseUrl, gateways.secrets, auth.store, id),
    });
  const one = async (auth: RequestAuth, id: number) => (await views(auth, [id]))[0]!;

  // Test keys see test invoices, live keys live ones.
  const listPage = (auth: RequestAuth, filters: InvoiceFilters & { sort: string }, page: PageQuery, path: string) =>
    pagedSearch({
      from: invoicesMatching(deps.db, auth.store.id, auth.livemode, filters),
      rows: (q) => q.select('id'),
      order: [['id', filters.sort === 'created_at' ? 'asc' : 'desc']],
      page,
      path,
      view: (rows) =>
        views(
          auth,
          rows.map((r) => r.id),
        ),
    });
  const url = (req: { baseUrl: string; path: string }) => pageUrl(deps.config.api.publicBaseUrl, req);

  /** Ops retry / skip: the order's workflow takes it only while it waits on a failed step (a 409 says why not). */
  const opsAction =
    (action: 'retry' | 'skip') =>
    async ({ auth, params, body }: { auth: RequestAuth; params: z.infer<typeof invoiceParams>; body: z.infer<typeof stepSelection> }) => {
      const invoice = await actions.find(auth, params.invoice);
      const selection = body.step ? { kinds: [body.step] } : {};
      if (action === 'retry') await retryFulfillment(engine, invoice.id, auth.store.id, selection);
      else await skipFulfillment(engine, invoice.id, selection);
      return { data: await one(auth, invoice.id) };
    };

  router
    .route({
      method: 'get',
      path: '/invoices',
      summary: 'List invoices (filters as in search; status[] and payment_methods[] as arrays)',
      tags: ['Invoices'],
      scope: 'invoices:read',
      query: invoiceListQuery,
      response: z.object({ data: z.array(invoiceView) }).passthrough(),
      handler: ({ auth, query, req }) => listPage(auth, query, query, url(req)),
    })
    .route({
      method: 'post',
      path: '/invoices/search',
      summary: 'Search invoices',
      tags: ['Invoices'],
      scope: 'invoices:read',
      query: z.object({ page: invoiceListQuery.shape.page, limit: invoiceListQuery.shape.limit }),
      body: invoiceSearchBody,
      response: z.object({ data: z.array(invoiceView) }).passthrough(),
      handler: ({ auth, query, body, req }) => listPage(auth, body, query, url(req)),
    })
    .route({
      method: 'post',
      path: '/invoices',
      summary: 'Create a pending invoice; its order workflow starts at once',
      tags: ['Invoices'],
      scope: 'invoices:write',
      modes: 'both',
      body: invoiceCreateBody,
      status: 201,
      response: z.object({ data: invoiceView }),
      handler: async ({ auth, body, res }) => {
        // Its payment starts the order (signal-with-start, through the outbox); the relay closes its window when it expires.
        const id = await actions.create(auth, body, res);
        // Where a crash test kills the API with the invoice committed and its answer not sent.
        failpoint(deps.config, 'after-invoice-commit');
        return { data: await one(auth, id) };
      },
    })
    .route({
      method: 'get',
      path: '/invoices/:invoice',
      summary: 'Retrieve an invoice, with its status history and delivery steps',
      tags: ['Invoices'],
      scope: 'invoices:read',
      params: invoiceParams,
      response: z.object({ data: invoiceView }),
      handler: async ({ auth, params }) => {
        await actions.find(auth, params.invoice);
        return { data: await one(auth, params.invoice) };
      },
    })
    .route({
      method: 'post',
      path: '/invoices/:invoice/checkout',
      summary: 'Create a checkout session (a zero-total invoice is completed instead)',
      tags: ['Invoices'],
      scope: 'invoices:write',
      modes: 'both',
      params: invoiceParams,
      response: z.object({
        message: z.string(),
        payment_url: z.string().optional(),
        crypto: z.object({ address: z.string(), amount: z.string() }).passthrough().optional(),
        custom: customCheckoutSchema.optional(),
        invoice: invoiceView,
      }),
      handler: async ({ auth, params }) => {
        const outcome = await actions.checkout(auth, params.invoice);
        const view = await one(auth, params.invoice);
        if (outcome.kind === 'free') return { message: 'Nothing to pay: the invoice is completed and being delivered.', invoice: view };
        if ('paymentUrl' in outcome)
          return { message: 'A new payment session has been generated.', payment_url: outcome.paymentUrl, invoice: view };
        if (outcome.kind === 'custom')
          return { ...customCheckoutAnswer(outcome.custom, deps.config.api.publicBaseUrl, auth.store.id), invoice: view };
        const { crypto } = outcome;
        return {
          message: `Pay ${crypto.amount} ${crypto.currency} to ${crypto.address} before ${crypto.expires_at}.`,
          ...(crypto.payment_uri ? { payment_url: crypto.payment_uri } : {}),
          crypto,
          invoice: view,
        };
      },
    })
    .route({
      method: 'post',
      path: '/invoices/:invoice/crypto/observe',
      summary: 'Look at the chain for this crypto invoice now (a node webhook, or the customer saying they paid); 202 while it looks',
      tags: ['Invoices'],
      scope: 'invoices:write',
      modes: 'both',
      params: invoiceParams,
      status: 202,
      response: z.object({ message: z.string() }),
      handler: async ({ auth, params }) => {
        await actions.find(auth, params.invoice);
        const watching = await pokeCryptoPayment(deps.temporal.client, params.invoice);
        if (!watching)
          throw new ApiError('conflict', 'not_watching', 'No crypto payment of this invoice is being watched', { param: 'invoice' });
        return { message: 'Looking at the chain now.' };
      },
    })
    .route({
      method: 'get',
      path: '/invoices/:invoice/deliverables',
      summary: 'What each line delivered (files as expiring signed links)',
      tags: ['Invoices'],
      scope: 'invoices:read',
      params: invoiceParams,
      response: z.object({ data: z.array(z.object({ invoice_id: z.number(), product_variant_id: z.number() }).passthrough()) }),
      handler: async ({ auth, params }) => {
        await actions.find(auth, params.invoice);
        return { data: await deliverablesView(deps.db, deps.storage, params.invoice) };
      },
    })
    .route({
      method: 'get',
      path: '/invoices/:invoice/payment-proof',
      summary: "The buyer's proof of a custom payment (text, and the image as an expiring link), for the seller's review",
      tags: ['Invoices'],
      scope: 'invoices:read',
      params: invoiceParams,
      response: z.object({ data: z.object({ text: z.string().nullable(), image_url: z.string().nullable() }).passthrough() }),
      handler: async ({ auth, params }) => {
        await actions.find(auth, params.invoice);
        const proof = await paymentProofOf(deps.db, deps.storage, params.invoice);
        if (!proof) throw notFound('Payment proof');
        return { data: proof };
      },
    })
    .route({
      method: 'patch',
      path: '/invoices/:invoice/mark-completed',
      summary: 'Mark paid by the seller (review of manual methods); delivery follows. Unwrapped response.',
      tags: ['Invoices'],
      scope: 'invoices:write',
      modes: 'both',
      params: invoiceParams,
      response: invoiceView,
      handler: async ({ auth, params }) => {
        await markInvoicePaid(engine, await actions.find(auth, params.invoice), 'manual');
        return one(auth, params.invoice);
      },
    })
    .route({
      method: 'patch',
      path: '/invoices/:invoice/mark-voided',
      summary: 'Void an unpaid invoice (ops may also void a paid order stuck in delivery). Unwrapped response.',
      tags: ['Invoices'],
      scope: 'invoices:write',
      modes: 'both',
      params: invoiceParams,
      response: invoiceView,
      handler: async ({ auth, params }) => {
        await voidOrder(engine, await actions.find(auth, params.invoice));
        return one(auth, params.invoice);
      },
    })
    .route({
      method: 'patch',
      path: '/invoices/:invoice/issue-replacement',
      summary: 'Re-deliver lines of a paid order as a new, immediately paid invoice linked to it. Unwrapped response.',
      tags: ['Invoices'],
      scope: 'invoices:write',
      modes: 'both',
      params: invoiceParams,
      body: replacementBody,
      response: invoiceView,
      handler: async ({ auth, params, body, res }) => {
        return one(auth, await actions.replace(auth, params.invoice, body.product_variants, res));
      },
    })
    .route({
      method: 'patch',
      path: '/invoices/:invoice/status',
      summary: 'Set the status by hand (COMPLETED, VOIDED, REVIEW, DISPUTING), optionally only from expected_status. Unwrapped response.',
      tags: ['Invoices'],
      scope: 'invoices:write',
      modes: 'both',
      params: invoiceParams,
      body: statusChangeBody,
      response: invoiceView,
      handler: async ({ auth, params, body }) => {
        await actions.setStatus(auth, params.invoice, body);
        return one(auth, params.invoice);
      },
    })
    .route({
      method: 'post',
      path: '/invoices/:invoice/fulfillment-retries',
      summary: "Retry the failed delivery steps (or only `steps`): the order's workflow decides, 409 with why when nothing waits",
      tags: ['Invoices'],
      scope: 'invoices:write',
      modes: 'both',
      params: invoiceParams,
      body: fulfillmentRetryBody,
      response: z.object({ data: z.object({ effects_reset: z.number() }) }),
      handler: async ({ auth, params, body }) => ({
        data: { effects_reset: await actions.retryFulfillment(auth, params.invoice, body) },
      }),
    })
    .route({
      method: 'post',
      path: '/invoices/:invoice/dynamic-delivery-retries',
      summary: 'Retry one failed dynamic delivery (delivered_product_id: its step id in delivery.steps)',
      tags: ['Invoices'],
      scope: 'invoices:write',
      modes: 'both',
      params: invoiceParams,
      body: dynamicDeliveryRetryBody,
      response: z.object({ data: z.object({ queued: z.boolean() }) }),
      handler: async ({ auth, params, body }) => {
        await actions.retryDynamicDelivery(auth, params.invoice, body.delivered_product_id);
        return { data: { queued: true } };
      },
    })
    .route({
      method: 'post',
      path: '/invoices/:invoice/fulfillment-notifications',
      summary: "Send the order's notifications and delivery notice again (paid or delivered orders)",
      tags: ['Invoices'],
      scope: 'invoices:write',
      modes: 'both',
      params: invoiceParams,
      body: fulfillmentNotificationsBody,
      response: z.object({ data: z.object({ notifications_sent: z.number() }) }),
      handler: async ({ auth, params, body }) => ({
        data: { notifications_sent: await actions.resendNotices(auth, params.invoice, body) },
      }),
    })
    .route({
      method: 'post',
      path: '/invoices/:invoice/retry',
      summary: 'Ops: re-run the failed delivery steps (or only the named step)',
      tags: ['Invoices'],
      scope: 'ops:write',
      modes: 'both',
      params: invoiceParams,
      body: stepSelection,
      status: 202,
      response: z.object({ data: invoiceView }),
      handler: opsAction('retry'),
    })
    .route({
      method: 'post',
      path: '/invoices/:invoice/skip',
      summary: 'Ops: skip the failed delivery steps (or only the named step) and finish the order',
      tags: ['Invoices'],
      scope: 'ops:write',
      modes: 'both',
      params: invoiceParams,
      body: stepSelection,
      status: 202,
      response: z.object({ data: invoiceView }),
      handler: opsAction('skip'),
    })
    .route({
      method: 'get',
      path: '/ops/stuck-orders',
      summary: 'Ops: every order of this store that needs attention (database, and Temporal visibility)',
      tags: ['Ops'],
      scope: 'ops:write',
      response: z.object({
        data: z.array(invoiceView),
        /** Orders with news the engine has not heard after 10 s (the relay is retrying): why, and since when. */
        unheard: z.array(
          z.object({ invoice_id: z.number(), kind: z.string(), since: z.string(), attempts: z.number(), reason: z.string() }),
        ),
        temporal: z.object({ workflow_ids: z.array(z.string()).nullable(), error: z.string().optional() }),
      }),
      handler: async ({ auth }) => {
        const { ids, unheard, temporal } = await stuckOrders(engine, auth.store.id);
        const unheardView = unheard.map((u) => ({
          invoice_id: u.invoice_id,
          kind: u.kind,
          since: u.since.toISOString(),
          attempts: u.attempts,
          reason: describeUnheard(u),
        }));
        return { data: await views(auth, ids), unheard: unheardView, temporal };
      },
    });
}
