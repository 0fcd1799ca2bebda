import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { z } from 'zod';
import type { DbExecutor, SubscriptionAction } from '../../../db/schema';
import { capabilitiesOf } from '../../../subscriptions/capabilities';
import { actionOf, presentSubscriptionAction } from '../../../subscriptions/subscription-actions';
import { subscriptionsOf } from '../../../subscriptions/subscription-view';
import { paymentMethodUpdatePage, takeSubscriptionAction } from '../../../subscriptions/subscription-workflow-client';
import type { ApiDependencies } from '../../context';
import { notFound } from '../../errors';
import type { DocumentedRouter } from '../../route';
import { actionParams, actionResponse } from './subscription-action-shapes';
import { registerSubscriptionChangeRoutes } from './subscription-changes';

/** The official paths' action names, and the action each takes. */
export const ACTION_PATHS: Record<string, SubscriptionAction> = {
  'cancel-period-end': 'cancel_at_period_end',
  'cancel-immediately': 'cancel_immediately',
  pause: 'pause',
  resume: 'resume',
};

/** The actions take no fields Sellflow reads; a reason or note a client sends is accepted and ignored. */
export const actionBody = z.object({}).passthrough().optional();

const capability = z.object({ allowed: z.boolean(), reason: z.string().nullable() });
/** The official seller model (GetSubscriptionCapabilities…PropertyData): our id, the provider's subscription id, the capabilities. */
export const capabilitiesResponse = z.object({
  data: z.object({ id: z.number(), subscription_id: z.string().nullable(), capabilities: z.record(z.string(), capability) }),
});

type ActionSubject = Parameters<typeof capabilitiesOf>[0] & {
  id: number;
  store_id: number;
  provider_subscription_id: string;
};

export const capabilitiesView = (row: ActionSubject) => ({
  data: { id: row.id, subscription_id: row.provider_subscription_id, capabilities: capabilitiesOf(row) },
});

/**
 * One action on a subscription the caller may act on (the seller's store, or the signed-in
 * customer's own): a retried request (same Idempotency-Key) answers with its first record
 * without asking again; anything else is the subscription workflow's decision.
 */
export async function actOnSubscription(
  deps: ApiDependencies,
  db: DbExecutor,
  row: ActionSubject,
  action: SubscriptionAction,
  actor: 'seller' | 'customer',
  req: Request,
) {
  const given = req.get('Idempotency-Key');
  // Scoped to who asks, so a customer's key never answers with a seller's action (or the reverse).
  const requestKey = `${actor}:${action}:${given ?? randomUUID()}`;
  const seen = given ? await actionOf(db, row.id, requestKey) : undefined;
  if (seen) return { data: presentSubscriptionAction(seen, row) };
  return { data: await takeSubscriptionAction(deps.temporal.client, deps.taskQueue, row, { action, requestKey, actor }) };
}

/** The SDK's update-payment-method body: where the provider's page returns the customer. */
export const paymentMethodBody = z
  .object({ return_url: z.url().max(2048).optional() })
  .passthrough()
  .optional();
/** The spec answers update-payment-method with a bare string: the provider's hosted page. */
export const paymentMethodResponse = z.string();

/** The provider's hosted page for a new card, as the subscription's workflow answers (409 with the reason when not allowed). */
export function paymentMethodPage(
  deps: ApiDependencies,
  row: ActionSubject,
  actor: 'seller' | 'customer',
  req: Request,
  body: z.infer<typeof paymentMethodBody>,
) {
  const requestKey = `${actor}:update_payment_method:${req.get('Idempotency-Key') ?? randomUUID()}`;
  return paymentMethodUpdatePage(deps.temporal.client, deps.taskQueue, row, { requestKey, returnUrl: body?.return_url });
}

/** The seller's side: capabilities and the lifecycle actions on any subscription of the store. */
export function registerSubscriptionActionRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  const common = { tags: ['Subscriptions'], scope: 'subscriptions:write' as const, params: actionParams };
  const load = async (storeId: number, livemode: boolean, id: number) => {
    const row = await subscriptionsOf(deps.db, storeId, livemode).selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('Subscription');
    return row;
  };
  router.route({
    ...common,
    method: 'get',
    path: '/subscriptions/:subscription/capabilities',
    summary: 'Which lifecycle actions the subscription allows now, and why not',
    response: capabilitiesResponse,
    handler: async ({ auth, params }) => capabilitiesView(await load(auth.store.id, auth.livemode, params.subscription)),
  });
  router.route({
    ...common,
    method: 'post',
    path: '/subscriptions/:subscription/actions/update-payment-method',
    summary: 'The provider’s hosted page where the customer replaces the card the subscription bills',
    modes: 'both',
    body: paymentMethodBody,
    response: paymentMethodResponse,
    handler: async ({ auth, params, req, body }) =>
      paymentMethodPage(deps, await load(auth.store.id, auth.livemode, params.subscription), 'seller', req, body),
  });
  registerSubscriptionChangeRoutes(router, deps, load);
  for (const [path, action] of Object.entries(ACTION_PATHS)) {
    router.route({
      ...common,
      method: 'post',
      path: `/subscriptions/:subscription/actions/${path}`,
      summary: `${action.replace(/_/g, ' ')}: the subscription workflow decides (409 with the reason when its capabilities say no)`,
      modes: 'both',
      body: actionBody,
      response: actionResponse,
      handler: async ({ auth, params, req }) =>
        actOnSubscription(deps, deps.db, await load(auth.store.id, auth.livemode, params.subscription), action, 'seller', req),
    });
  }
}
