import { z } from 'zod';
import { chargeQuery, chargeUrl, chargeView, createCharge, requireCharge } from '../../../charges/charges';
import { PAYMENT_METHODS } from '../../../domain/payment-methods';
import { transitionInvoice } from '../../../orders/invoice-transitions';
import { refuseWhileCapturing } from '../../../orders/paypal-capture-claim';
import { commitAndTell } from '../../../outbox/engine-intents';
import type { EngineIntent } from '../../../outbox/record-intent';
import { storeWebhookSecret } from '../../../orders/store-webhook-secret';
import type { DbTransaction } from '../../../db/schema';
import type { SecretBox } from '../../../security/secret-box';
import type { ApiDependencies } from '../../context';
import { engineOf } from '../../engine';
import { ApiError, invalidRequest } from '../../errors';
import type { RequestAuth } from '../../middleware/authenticate';
import { pagedSearch } from '../../paged-search';
import { pageQuery, pageUrl } from '../../pagination';
import type { DocumentedRouter, RouteContext } from '../../route';
import { rowId } from '../../schemas/common';
import { requestKeyOf } from '../../middleware/idempotency';

const chargeCreate = z
  .object({
    email: z.string().email(),
    return_url: z.string().url(),
    cancel_url: z.string().url().nullable().optional(),
    webhook: z.string().url().nullable().optional(),
    reference: z.string().max(255).nullable().optional(),
    description: z.string().max(5000).nullable().optional(),
    currency: z
      .string()
      .regex(/^[A-Za-z]{3}$/, 'a 3-letter ISO currency code')
      .optional(),
    total: z.number().int().min(0).max(100_000_000).optional(),
    payment_method: z.enum(PAYMENT_METHODS).optional(),
    payment_methods: z.array(z.enum(PAYMENT_METHODS)).min(1).optional(),
    use_all_payment_methods: z.boolean().optional(),
    deliverable: z.record(z.string(), z.unknown()).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    coupon_code: z.string().max(100).nullable().optional(),
  })
  .strict();
const chargeParams = z.object({ charge: rowId });
const chargeIdParams = z.object({ charge_id: rowId });
const view = z
  .object({ id: z.number(), url: z.string(), status: z.enum(['PENDING', 'COMPLETED', 'VOIDED']), custom_payment_method_id: z.null() })
  .passthrough()
  .openapi('Charge');

/** SellApp v2 charges: payment requests without delivery, on the invoices' payment path. */
export function registerChargeRoutes(router: DocumentedRouter, deps: ApiDependencies, secrets: SecretBox): void {
  const engine = engineOf(deps);
  const urlOf = async (auth: RequestAuth, id: number) =>
    chargeUrl(deps.config.api.publicBaseUrl, await storeWebhookSecret(deps.db, secrets, auth.store.id), id);
  const pending = async (auth: RequestAuth, id: number) => {
    const charge = await requireCharge(deps.db, auth.store.id, auth.livemode, id);
    if (charge.status !== 'PENDING')
      throw new ApiError('conflict', 'invalid_status', `The charge is ${charge.status}: only a PENDING charge can change`, {
        param: 'status',
      });
    return charge;
  };
  /** Completing and voiding: a PENDING charge moves as an invoice does, and the engine hears of it. */
  const settling = {
    method: 'put' as const,
    tags: ['Charges'],
    scope: 'invoices:write' as const,
    modes: 'both' as const,
    params: chargeIdParams,
    response: z.object({ message: z.string() }),
  };
  const settle =
    (message: string, move: (trx: DbTransaction, chargeId: number) => Promise<{ value: unknown; intents: EngineIntent[] }>) =>
    async ({ auth, params }: RouteContext<z.infer<typeof chargeIdParams>, undefined, undefined>) => {
      const charge = await pending(auth, params.charge_id);
      await commitAndTell(engine, (trx) => move(trx, charge.id));
      return { message };
    };

  router
    .route({
      method: 'post',
      path: '/charges',
      summary: 'Create a charge (a paid request, or a free claim when total is 0); its order workflow waits for payment',
      tags: ['Charges'],
      scope: 'invoices:write',
      modes: 'both',
      body: chargeCreate,
      status: 201,
      response: z.object({ data: view.pick({ id: true, url: true, status: true, custom_payment_method_id: true }) }),
      handler: async ({ auth, body, res }) => {
        const methods = body.use_all_payment_methods
          ? [...PAYMENT_METHODS]
          : (body.payment_methods ?? (body.payment_method ? [body.payment_method] : []));
        if ((body.total ?? 0) > 0 && !body.currency) throw invalidRequest('missing_field', 'A paid charge needs a currency', 'currency');
        if ((body.total ?? 0) > 0 && methods.length === 0)
          throw invalidRequest(
            'missing_field',
            'A paid charge needs payment_method, payment_methods or use_all_payment_methods',
            'payment_methods',
          );
        // Like an invoice: its payment (or claim) starts the order; the relay expires it unpaid.
        const id = await deps.db.transaction().execute((trx) =>
          createCharge(
            trx,
            { id: auth.store.id, livemode: auth.livemode },
            {
              email: body.email,
              returnUrl: body.return_url,
              cancelUrl: body.cancel_url ?? undefined,
              webhook: body.webhook ?? undefined,
              reference: body.reference ?? undefined,
              description: body.description ?? undefined,
              currency: body.currency,
              totalCents: body.total,
              paymentMethods: methods.length > 0 ? methods : ['FREE'],
              deliverable: body.deliverable,
              metadata: body.metadata,
              couponCode: body.coupon_code ?? undefined,
              requestKey: requestKeyOf(res),
            },
          ),
        );
        return { data: { id, url: await urlOf(auth, id), status: 'PENDING' as const, custom_payment_method_id: null } };
      },
    })
    .route({
      method: 'get',
      path: '/charges',
      summary: 'List charges, newest first',
      tags: ['Charges'],
      scope: 'invoices:read',
      query: pageQuery,
      response: z.object({ data: z.array(view) }).passthrough(),
      handler: async ({ auth, query, req }) => {
        const secret = await storeWebhookSecret(deps.db, secrets, auth.store.id);
        return pagedSearch({
          from: chargeQuery(deps.db, auth.store.id, auth.livemode),
          rows: (q) => q.selectAll(),
          order: [['id', 'desc']],
          page: query,
          path: pageUrl(deps.config.api.publicBaseUrl, req),
          view: (rows) => rows.map((row) => chargeView(row, chargeUrl(deps.config.api.publicBaseUrl, secret, row.id))),
        });
      },
    })
    .route({
      method: 'get',
      path: '/charges/:charge',
      summary: 'Retrieve a charge',
      tags: ['Charges'],
      scope: 'invoices:read',
      params: chargeParams,
      response: z.object({ data: view }),
      handler: async ({ auth, params }) => ({
        data: chargeView(await requireCharge(deps.db, auth.store.id, auth.livemode, params.charge), await urlOf(auth, params.charge)),
      }),
    })
    .route({
      ...settling,
      path: '/charges/:charge_id/completed',
      summary: 'Mark a pending charge completed (paid or claimed outside Sellflow)',
      handler: settle('Charge Completed Successfully', async (trx, chargeId) => {
        await refuseWhileCapturing(trx, chargeId);
        const result = await transitionInvoice(trx, chargeId, 'PAID', { event: 'order.paid', also: { paid_at: new Date() } });
        return {
          value: result,
          intents: result.status === 'PAID' ? [{ kind: 'order.payment_received', subjectId: chargeId, detail: { source: 'manual' } }] : [],
        };
      }),
    })
    .route({
      ...settling,
      path: '/charges/:charge_id/voided',
      summary: 'Void a pending charge',
      handler: settle('Charge Voided Successfully', async (trx, chargeId) => {
        // A PayPal capture under way may be taking the money: the void, as marking it paid, waits for its answer.
        await refuseWhileCapturing(trx, chargeId);
        return {
          value: await transitionInvoice(trx, chargeId, 'VOIDED'),
          intents: [{ kind: 'order.void_requested', subjectId: chargeId }],
        };
      }),
    });
}
