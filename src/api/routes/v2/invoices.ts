import { z } from 'zod';
import { rowId } from '../../schemas/common';
import type { Db } from '../../../db/schema';
import type { StripeGateway } from '../../../gateways/stripe-gateway';
import type { SecretBox } from '../../../security/secret-box';
import type { AsnLookup } from '../../../blacklists/asn-lookup';
import { checkout } from '../../../orders/checkout';
import { placeInvoice } from '../../../orders/place-invoice';
import { markInvoicePaid } from '../../../orders/mark-paid';
import { invoicesMatching, type InvoiceFilters } from '../../../orders/invoice-search';
import { findStoreInvoice } from '../../../orders/store-invoice';
import { issueReplacement } from '../../../orders/issue-replacement';
import { deliverablesView, invoiceViews } from '../../../orders/invoice-view';
import { pokeCryptoPayment } from '../../../gateways/crypto/crypto-payment-workflow-client';
import type { ApiDependencies } from '../../context';
import { engineOf } from '../../engine';
import { ApiError, notFound } from '../../errors';
import type { RequestAuth } from '../../middleware/authenticate';
import { requestKeyOf } from '../../middleware/idempotency';
import { pageUrl, type PageQuery } from '../../pagination';
import { pagedSearch } from '../../paged-search';
import type { DocumentedRouter } from '../../route';
import { describeUnheard } from '../../../outbox/engine-intents';
import { retryOrSkipSteps, stuckOrders, voidOrder } from '../../../orders/order-ops';
import { failpoint } from '../../../failpoints';
import { invoiceCreateBody, invoiceListQuery, invoiceSearchBody, replacementBody, stepSelection } from '../../schemas/invoices';
import { actorOf } from './products';

const invoiceView = z
  .object({
    id: z.number(),
    status: z.object({ status: z.object({ status: z.string() }).passthrough() }).passthrough(),
    livemode: z.boolean(),
  })
  .passthrough()
  .openapi('Invoice');
const invoiceParams = z.object({ invoice: rowId });

async function requireInvoice(db: Db, auth: RequestAuth, id: number) {
  const invoice = await findStoreInvoice(db, auth.store.id, id);
  if (!invoice) throw notFound('Invoice');
  return invoice;
}

export function registerInvoiceRoutes(
  router: DocumentedRouter,
  deps: ApiDependencies,
  gateways: { stripe: StripeGateway; secrets: SecretBox; asn: AsnLookup },
): void {
  const engine = engineOf(deps);
  const one = async (auth: RequestAuth, id: number) => (await invoiceViews(deps.db, auth.store.id, [id]))[0]!;

  // Test keys see test invoices, live keys live ones.
  const listPage = (auth: RequestAuth, filters: InvoiceFilters & { sort: string }, page: PageQuery, path: string) =>
    pagedSearch({
      from: invoicesMatching(deps.db, auth.store.id, auth.livemode, filters),
      rows: (q) => q.select('id'),
      order: [['id', filters.sort === 'created_at' ? 'asc' : 'desc']],
      page,
      path,
      view: (rows) =>
        invoiceViews(
          deps.db,
          auth.store.id,
          rows.map((r) => r.id),
        ),
    });
  const url = (req: { baseUrl: string; path: string }) => pageUrl(deps.config.api.publicBaseUrl, req);

  /** Ops retry / skip: only for an order waiting on a failed step. */
  const opsAction =
    (action: 'retry' | 'skip') =>
    async ({ auth, params, body }: { auth: RequestAuth; params: z.infer<typeof invoiceParams>; body: z.infer<typeof stepSelection> }) => {
      const invoice = await requireInvoice(deps.db, auth, params.invoice);
      const outcome = await retryOrSkipSteps(engine, action, invoice, body.step ? [body.step] : undefined);
      if ('refused' in outcome) {
        const param = outcome.refused === 'needs_manual_action' ? { param: 'status' } : {};
        throw new ApiError('conflict', outcome.refused, outcome.message, param);
      }
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
        const id = await placeInvoice(
          deps.db,
          actorOf(auth),
          {
            customerEmail: body.customer_email,
            paymentMethod: body.payment_method,
            lines: Object.entries(body.product_variants).map(([variantId, line]) => ({
              variantId: Number(variantId),
              quantity: line.quantity,
              additionalInformation: line.additional_information ?? {},
            })),
            customerIp: body.customer_ip,
            fingerprint: body.checkout_fingerprint,
            coupon: body.coupon,
            vatId: body.vat_id,
            country: body.country,
            affiliate: body.affiliate,
            visitorId: body.visitor_id,
            extra: body.extra,
            requestKey: requestKeyOf(res),
          },
          gateways.asn,
        );
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
        await requireInvoice(deps.db, auth, params.invoice);
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
        invoice: invoiceView,
      }),
      handler: async ({ auth, params }) => {
        const invoice = await requireInvoice(deps.db, auth, params.invoice);
        const outcome = await checkout(
          { engine, stripe: gateways.stripe, secrets: gateways.secrets, publicBaseUrl: deps.config.api.publicBaseUrl },
          auth.store,
          invoice,
        );
        const view = await one(auth, invoice.id);
        if (outcome.kind === 'free') return { message: 'Nothing to pay: the invoice is completed and being delivered.', invoice: view };
        if (outcome.kind === 'stripe')
          return { message: 'A new payment session has been generated.', payment_url: outcome.paymentUrl, invoice: view };
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
        await requireInvoice(deps.db, auth, params.invoice);
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
        await requireInvoice(deps.db, auth, params.invoice);
        return { data: await deliverablesView(deps.db, deps.storage, params.invoice) };
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
        await markInvoicePaid(engine, await requireInvoice(deps.db, auth, params.invoice), 'manual');
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
        await voidOrder(engine, await requireInvoice(deps.db, auth, params.invoice));
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
        const original = await requireInvoice(deps.db, auth, params.invoice);
        const replacementId = await issueReplacement(engine, actorOf(auth), original, body.product_variants, requestKeyOf(res));
        return one(auth, replacementId);
      },
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
        return { data: await invoiceViews(deps.db, auth.store.id, ids), unheard: unheardView, temporal };
      },
    });
}
