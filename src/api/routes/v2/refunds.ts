import { z } from 'zod';
import { invoiceViews } from '../../../orders/invoice-view';
import { invoiceCheckoutUrl } from '../../../orders/invoice-checkout-link';
import { SecretBox } from '../../../security/secret-box';
import { orderViews } from '../../../orders/order-view';
import { commitAndTell } from '../../../outbox/engine-intents';
import { type RefundRequest, requestRefund } from '../../../refunds/request-refund';
import { loadRefund, loadRefunds, refundQuery, refundView } from '../../../refunds/refund-views';
import type { ApiDependencies } from '../../context';
import { engineOf } from '../../engine';
import { notFound } from '../../errors';
import type { RequestAuth } from '../../middleware/authenticate';
import { requestKeyOf } from '../../middleware/idempotency';
import { offsetOf, pageQuery, pageUrl, toPage } from '../../pagination';
import type { DocumentedRouter } from '../../route';
import { rowId, rowIdNumber } from '../../schemas/common';

/** The spec's body (`amount`, major units; absent = all that is left) and Sellflow's `line_items` and `reason`. */
const refundBody = z
  .object({
    amount: z
      .union([z.string().max(32), z.number().positive()])
      .nullable()
      .optional(),
    line_items: z.array(rowIdNumber).min(1).max(100).optional(),
    reason: z.string().max(500).nullable().optional(),
  })
  .strict();
const refundModel = z
  .object({ id: z.number(), status: z.string(), provider: z.string(), amount_cents: z.number(), currency: z.string() })
  .passthrough()
  .openapi('Refund');

/**
 * Refunds (issue 20): POST on an order (or the same invoice) records the refund and starts its
 * `refund` workflow after commit; the workflow asks the gateway, then takes back what the refund
 * covers. The refunds made so far are listed at /refunds.
 */
export function registerRefundRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  // The invoice in a refund's answer is the invoice model, its hosted `checkout` page included.
  const secrets = SecretBox.fromConfig(deps.config.secrets);
  const engine = engineOf(deps);

  async function refund(auth: RequestAuth, invoiceId: number, body: z.infer<typeof refundBody>, requestKey: string | undefined) {
    const request: RefundRequest = {
      amount: typeof body.amount === 'number' ? String(body.amount) : body.amount,
      lineIds: body.line_items,
      reason: body.reason,
      requestKey,
    };
    const refundId = await commitAndTell(engine, async (trx) => {
      const { refundId, intents } = await requestRefund(trx, { storeId: auth.store.id, livemode: auth.livemode, invoiceId }, request);
      return { value: refundId, intents };
    });
    const row = (await loadRefund(deps.db, auth.store.id, auth.livemode, refundId))!;
    return refundView(row);
  }

  router
    .route({
      method: 'post',
      path: '/orders/:order/refunds',
      summary: 'Refund an order, in full, by amount or by line items; the refund workflow asks the gateway and runs the consequences',
      tags: ['Refunds'],
      scope: 'invoices:write',
      modes: 'both',
      params: z.object({ order: rowId }),
      body: refundBody,
      response: z.object({ data: z.object({ order: z.object({ id: z.number() }).passthrough(), refund: refundModel }) }),
      handler: async ({ auth, params, body, res }) => {
        const refunded = await refund(auth, params.order, body, requestKeyOf(res));
        return { data: { order: (await orderViews(deps.db, auth.store.id, [params.order]))[0]!, refund: refunded } };
      },
    })
    .route({
      method: 'post',
      path: '/invoices/:invoice/refunds',
      summary: 'Refund an invoice (the same refund as on its order)',
      tags: ['Refunds'],
      scope: 'invoices:write',
      modes: 'both',
      params: z.object({ invoice: rowId }),
      body: refundBody,
      response: z.object({ data: z.object({ invoice: z.object({ id: z.number() }).passthrough(), refund: refundModel }) }),
      handler: async ({ auth, params, body, res }) => {
        const refunded = await refund(auth, params.invoice, body, requestKeyOf(res));
        const [invoice] = await invoiceViews(deps.db, auth.store.id, [params.invoice], {
          checkoutPage: (id) => invoiceCheckoutUrl(deps.config.api.publicBaseUrl, secrets, auth.store, id),
        });
        return { data: { invoice: invoice!, refund: refunded } };
      },
    })
    .route({
      method: 'get',
      path: '/refunds',
      summary: 'List refunds, newest first',
      tags: ['Refunds'],
      scope: 'invoices:read',
      query: pageQuery,
      response: z.object({ data: z.array(refundModel) }).passthrough(),
      handler: async ({ auth, query, req }) => {
        const { total } = await refundQuery(deps.db, auth.store.id, auth.livemode)
          .select((eb) => eb.fn.countAll<number>().as('total'))
          .executeTakeFirstOrThrow();
        const rows = await loadRefunds(deps.db, auth.store.id, auth.livemode, { limit: query.limit, offset: offsetOf(query) });
        return toPage(rows.map(refundView), Number(total), query, pageUrl(deps.config.api.publicBaseUrl, req));
      },
    })
    .route({
      method: 'get',
      path: '/refunds/:refund',
      summary: 'Retrieve a refund',
      tags: ['Refunds'],
      scope: 'invoices:read',
      params: z.object({ refund: rowId }),
      response: z.object({ data: refundModel }),
      handler: async ({ auth, params }) => {
        const row = await loadRefund(deps.db, auth.store.id, auth.livemode, params.refund);
        if (!row) throw notFound('Refund');
        return { data: refundView(row) };
      },
    });
}
