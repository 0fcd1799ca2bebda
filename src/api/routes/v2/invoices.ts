import { z } from 'zod';
import { rowId } from '../../schemas/common';
import type { Db } from '../../../db/schema';
import type { StripeGateway } from '../../../gateways/stripe-gateway';
import type { SecretBox } from '../../../security/secret-box';
import type { AsnLookup } from '../../../blacklists/asn-lookup';
import { screenCustomer } from '../../../blacklists/screen-customer';
import { checkout } from '../../../orders/checkout';
import { createInvoice } from '../../../orders/create-invoice';
import { InvoiceStatusConflictError } from '../../../orders/errors';
import { transitionInvoice } from '../../../orders/invoice-transitions';
import { markInvoicePaid } from '../../../orders/mark-paid';
import { applyInvoiceFilters, type InvoiceFilters } from '../../../orders/invoice-search';
import { deliverablesView, invoiceViews } from '../../../orders/invoice-view';
import { OrderWorkflows } from '../../../orders/order-workflow-client';
import { pokeCryptoPayment } from '../../../gateways/crypto/crypto-payment-workflow-client';
import type { ApiDependencies } from '../../context';
import { engineOf } from '../../engine';
import { ApiError, notFound } from '../../errors';
import type { RequestAuth } from '../../middleware/authenticate';
import { requestKeyOf } from '../../middleware/idempotency';
import { offsetOf, toPage, pageUrl } from '../../pagination';
import { invoiceCreatedBy } from '../../../orders/request-key';
import type { DocumentedRouter } from '../../route';
import { commitAndTell, describeUnheard, unheardOrders } from '../../../outbox/engine-intents';
import { retryOrSkipSteps, voidOrder } from '../../../orders/order-ops';
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
  const invoice = await db
    .selectFrom('invoices')
    .select([
      'id',
      'store_id',
      'status',
      'expires_at',
      'total_cents',
      'payment_method',
      'livemode',
      'currency',
      'customer_email',
      'needs_attention',
    ])
    .where('id', '=', id)
    .where('store_id', '=', auth.store.id)
    .where('kind', '=', 'INVOICE')
    .executeTakeFirst();
  if (!invoice) throw notFound('Invoice');
  return invoice;
}

export function registerInvoiceRoutes(
  router: DocumentedRouter,
  deps: ApiDependencies,
  gateways: { stripe: StripeGateway; secrets: SecretBox; asn: AsnLookup },
): void {
  const workflows = new OrderWorkflows(deps.temporal.client, deps.taskQueue);
  const engine = engineOf(deps);
  const one = async (auth: RequestAuth, id: number) => (await invoiceViews(deps.db, auth.store.id, [id]))[0]!;

  async function listPage(
    auth: RequestAuth,
    filters: InvoiceFilters & { sort: string },
    page: { page: number; limit: number },
    path: string,
  ) {
    // Test keys see test invoices, live keys live ones.
    const base = applyInvoiceFilters(
      deps.db
        .selectFrom('invoices')
        .where('store_id', '=', auth.store.id)
        .where('kind', '=', 'INVOICE')
        .where('livemode', '=', auth.livemode),
      filters,
    );
    const { total } = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
    const ids = (
      await base
        .select('id')
        .orderBy('id', filters.sort === 'created_at' ? 'asc' : 'desc')
        .limit(page.limit)
        .offset(offsetOf(page))
        .execute()
    ).map((r) => r.id);
    return toPage(await invoiceViews(deps.db, auth.store.id, ids), Number(total), page, path);
  }
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
        await screenCustomer(
          deps.db,
          auth.store.id,
          auth.livemode,
          { email: body.customer_email, ip: body.customer_ip ?? null, country: body.country ?? null },
          gateways.asn,
        );
        const id = await commitAndTell(engine, async (trx) => {
          const created = await createInvoice(trx, actorOf(auth), {
            customerEmail: body.customer_email,
            paymentMethod: body.payment_method,
            lines: Object.entries(body.product_variants).map(([variantId, line]) => ({
              variantId: Number(variantId),
              quantity: line.quantity,
              additionalInformation: line.additional_information ?? {},
            })),
            customerIp: body.customer_ip,
            coupon: body.coupon,
            vatId: body.vat_id,
            country: body.country,
            affiliate: body.affiliate,
            visitorId: body.visitor_id,
            extra: body.extra,
            requestKey: requestKeyOf(res),
          });
          return { value: created, intents: [{ kind: 'order.start', subjectId: created }] };
        });
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
        if (original.status !== 'COMPLETED' && original.status !== 'PAID')
          throw new InvoiceStatusConflictError(original.status as never, 'COMPLETED');
        const wanted = body.product_variants;
        const source = await deps.db
          .selectFrom('invoices')
          .select(['customer_email', 'customer_ip', 'country'])
          .where('id', '=', original.id)
          .executeTakeFirstOrThrow();
        const lines = await deps.db
          .selectFrom('invoice_lines')
          .select(['variant_id', 'quantity', 'additional_information'])
          .where('invoice_id', '=', original.id)
          .execute();
        const missing = wanted.filter((id) => !lines.some((l) => l.variant_id === id));
        if (missing.length > 0)
          throw new ApiError('invalid_request', 'not_in_invoice', `Invoice ${original.id} has no product variant ${missing.join(', ')}`, {
            param: 'product_variants',
            fieldErrors: { product_variants: ['not in this invoice'] },
          });
        const replacementId = await commitAndTell(engine, async (trx) => {
          // This request made it already (its answer was lost): the same replacement, paid once.
          const made = await invoiceCreatedBy(trx, auth.store.id, requestKeyOf(res));
          if (made !== null) return { value: made, intents: [] };
          const id = await createInvoice(trx, actorOf(auth), {
            customerEmail: source.customer_email,
            paymentMethod: original.payment_method,
            customerIp: source.customer_ip,
            country: source.country ?? undefined,
            lines: lines
              .filter((l) => wanted.includes(l.variant_id))
              .map((l) => ({ variantId: l.variant_id, quantity: l.quantity, additionalInformation: l.additional_information })),
            replacementOf: original.id,
            free: true,
            requestKey: requestKeyOf(res),
          });
          await transitionInvoice(trx, id, 'PAID', { event: 'order.paid', also: { paid_at: new Date() } });
          return { value: id, intents: [{ kind: 'order.payment_received', subjectId: id, detail: { source: 'replacement' } }] };
        });
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
        const flagged = (
          await deps.db
            .selectFrom('invoices')
            .select('id')
            .where('store_id', '=', auth.store.id)
            .where('needs_attention', '=', true)
            .orderBy('id')
            .execute()
        ).map((r) => r.id);
        const unheard = await unheardOrders(deps.db, auth.store.id);
        const ids = [...new Set([...flagged, ...unheard.map((u) => u.invoice_id)])].sort((a, b) => a - b);
        let temporal: { workflow_ids: string[] | null; error?: string };
        try {
          temporal = { workflow_ids: await workflows.stuckWorkflowIds(auth.store.id) };
        } catch (error) {
          temporal = { workflow_ids: null, error: error instanceof Error ? error.message : String(error) };
        }
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
