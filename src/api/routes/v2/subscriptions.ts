import { z } from 'zod';
import { rowId } from '../../schemas/common';
import { SUBSCRIPTION_STATUSES } from '../../../domain/subscription-lifecycle';
import { requestCancellation } from '../../../subscriptions/cancel-subscription';
import { presentSubscription, SUBSCRIPTION_COLUMNS, subscriptionsOf } from '../../../subscriptions/subscription-view';
import { commitAndTell } from '../../../outbox/engine-intents';
import { setSubscriptionGraceSeconds, subscriptionGraceSeconds } from '../../../subscriptions/grace-setting';
import type { ApiDependencies } from '../../context';
import { engineOf } from '../../engine';
import { notFound } from '../../errors';
import type { RequestAuth } from '../../middleware/authenticate';
import { registerListAndSearch } from '../../families/sellapp/resource-routes';
import { pageQuery } from '../../pagination';
import { SearchTranslator } from '../../search';
import type { DocumentedRouter } from '../../route';

const subscriptionParams = z.object({ subscription: rowId });
const cancelBody = z
  .object({
    cancel_at_period_end: z.boolean(),
    refund_last_payment: z.boolean().optional(),
    pro_rated_refund: z.boolean().optional(),
  })
  .strict();
const listQuery = pageQuery.extend({ status: z.enum(SUBSCRIPTION_STATUSES).optional(), customer_email: z.string().email().optional() });

const subscriptionSearch = new SearchTranslator(
  {
    id: 'id',
    status: 'status',
    customer_email: 'customer_email',
    provider: 'provider',
    product_variant_id: 'product_variant_id',
    current_period_end: 'current_period_end',
    created_at: 'created_at',
    updated_at: 'updated_at',
  },
  ['customer_email'],
);

const subscriptionView = z.object({
  id: z.number(),
  invoice_id: z.number(),
  provider: z.string(),
  subscription_id: z.string(),
  customer_id: z.string(),
  customer_email: z.string(),
  status: z.enum(SUBSCRIPTION_STATUSES),
  current_period_start: z.string(),
  current_period_end: z.string(),
  cancel_at_period_end: z.boolean(),
  cancellation_in_progress: z.boolean(),
  store_id: z.number(),
  product_variant_id: z.number(),
  ended_at: z.string().nullable(),
  end_reason: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

const graceBody = z
  .object({
    grace_period_seconds: z
      .number()
      .int()
      .min(0)
      .max(31 * 86_400),
  })
  .strict();

/**
 * SellApp v2 subscriptions: the seed's cancel route, plus list and retrieve (which the seed
 * lacks), and the store's grace window after a failed renewal.
 */
export function registerSubscriptionRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  const engine = engineOf(deps);
  const load = async (auth: RequestAuth, id: number) => {
    const row = await subscriptionsOf(deps.db, auth.store.id, auth.livemode)
      .select(SUBSCRIPTION_COLUMNS)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound('Subscription');
    return row;
  };

  registerListAndSearch(router, deps, {
    path: '/subscriptions',
    noun: 'subscriptions',
    tags: ['Subscriptions'],
    item: subscriptionView,
    scope: 'subscriptions:write',
    query: listQuery,
    listSummary: 'List subscriptions (newest first; filter by status or customer e-mail)',
    searchSummary: 'Search subscriptions (filters on id, status, customer_email, provider, variant and dates; text search on the e-mail)',
    from: (auth, query) => {
      let from = subscriptionsOf(deps.db, auth.store.id, auth.livemode);
      if (query.status) from = from.where('status', '=', query.status);
      if (query.customer_email) from = from.where('customer_email', '=', query.customer_email.toLowerCase());
      return from;
    },
    rows: (q) => q.select(SUBSCRIPTION_COLUMNS),
    translator: subscriptionSearch,
    order: [['id', 'desc']],
    view: (rows) => rows.map(presentSubscription),
  });
  router
    .route({
      method: 'get',
      path: '/subscriptions/:subscription',
      summary: 'Retrieve a subscription',
      tags: ['Subscriptions'],
      scope: 'subscriptions:write',
      params: subscriptionParams,
      response: z.object({ data: subscriptionView }),
      handler: async ({ auth, params }) => ({ data: presentSubscription(await load(auth, params.subscription)) }),
    })
    .route({
      method: 'patch',
      path: '/subscriptions/:subscription/cancel',
      summary: 'Cancel at period end, or now with an optional full or pro-rated refund of the last payment',
      tags: ['Subscriptions'],
      scope: 'subscriptions:write',
      modes: 'both',
      params: subscriptionParams,
      body: cancelBody,
      response: z.object({ data: subscriptionView, message: z.string() }),
      handler: async ({ auth, params, body }) => {
        const existing = await load(auth, params.subscription);
        const outcome = await commitAndTell(engine, async (trx) => ({
          value: await requestCancellation(trx, existing.id, {
            cancelAtPeriodEnd: body.cancel_at_period_end,
            refundLastPayment: body.refund_last_payment,
            proRatedRefund: body.pro_rated_refund,
          }),
          intents: [{ kind: 'subscription.changed', subjectId: existing.id, detail: { reason: 'cancel_requested' } }],
        }));
        const row = await load(auth, existing.id);
        return { data: presentSubscription(row), message: outcome.message };
      },
    })
    .route({
      method: 'get',
      path: '/settings/subscriptions',
      summary: 'How long an unpaid subscription keeps access after its period ends',
      tags: ['Subscriptions'],
      scope: 'subscriptions:write',
      response: z.object({ data: graceBody }),
      handler: async ({ auth }) => {
        return { data: { grace_period_seconds: await subscriptionGraceSeconds(deps.db, auth.store.id) } };
      },
    })
    .route({
      method: 'put',
      path: '/settings/subscriptions',
      summary: 'Set the grace window after a failed renewal (0 to 31 days, in seconds)',
      tags: ['Subscriptions'],
      scope: 'subscriptions:write',
      body: graceBody,
      response: z.object({ data: graceBody }),
      handler: async ({ auth, body }) => {
        await setSubscriptionGraceSeconds(deps.db, auth.store.id, body.grace_period_seconds);
        return { data: body };
      },
    });
}
