import type { Selectable } from 'kysely';
import { laravelTime } from '../catalog/views/timestamps';
import type { DbExecutor, SubscriptionAction } from '../db/schema';
import type { SubscriptionActionsTable, SubscriptionsTable } from '../db/schema/subscriptions';
import { requestGrantRevocation, restoreCommunityGrants } from '../community/grant-records';
import { recordEvent } from '../events/record';
import {
  CAPABILITY_OF,
  type SubscriptionActionDecision,
  type SubscriptionActionRequest,
  type SubscriptionActionView,
} from '../temporal/contracts/subscription';
import { requestCancellation } from './cancel-subscription';
import { capabilitiesOf } from './capabilities';
import { lockInvoiceOfSubscription } from './lock-order';
import { decideChange } from './subscription-changes';

export type { SubscriptionActionDecision, SubscriptionActionRequest, SubscriptionActionView };

export const actionOf = (db: DbExecutor, subscriptionId: number, requestKey: string) =>
  db
    .selectFrom('subscription_actions')
    .selectAll()
    .where('subscription_id', '=', subscriptionId)
    .where('request_key', '=', requestKey)
    .executeTakeFirst();

const refusalMessage = (action: SubscriptionAction, reason: string) =>
  `The subscription cannot ${action.replace(/_/g, ' ')} now: ${reason.replace(/_/g, ' ')}`;

/**
 * Decides and records one action under the subscription's row lock, so a renewal or provider
 * event applied meanwhile is seen, never overwritten. A request key seen before answers with
 * its first record; otherwise the capabilities decide, and the record's change and its event
 * are written together. Cancellations go through requestCancellation (the refund rules stay
 * there); the provider hears of every action in sendSubscriptionAction.
 */
export async function recordSubscriptionAction(
  trx: DbExecutor,
  subscriptionId: number,
  request: SubscriptionActionRequest,
  now = new Date(),
): Promise<SubscriptionActionDecision> {
  // A resume inserts grants naming the invoice (its key-share lock): the invoice's lock comes first.
  await lockInvoiceOfSubscription(trx, subscriptionId);
  const row = await trx.selectFrom('subscriptions').selectAll().where('id', '=', subscriptionId).forUpdate().executeTakeFirstOrThrow();
  const seen = await actionOf(trx, subscriptionId, request.requestKey);
  if (seen) return { actionId: seen.id };
  const capability = capabilitiesOf(row)[CAPABILITY_OF[request.action]]!;
  if (!capability.allowed) return { refused: capability.reason!, message: refusalMessage(request.action, capability.reason!) };

  let previewId: number | null = null;
  switch (request.action) {
    case 'change_plan':
    case 'shift_billing_date': {
      // Recorded now, applied by sendSubscriptionAction once the provider took it.
      const decided = await decideChange(trx, row, request, now);
      if ('refused' in decided) return decided;
      previewId = decided.previewId;
      break;
    }
    case 'cancel_at_period_end':
    case 'cancel_immediately':
      await requestCancellation(trx, row.id, { cancelAtPeriodEnd: request.action === 'cancel_at_period_end' }, now);
      break;
    case 'pause':
    case 'resume':
      await trx
        .updateTable('subscriptions')
        .set({ paused_at: request.action === 'pause' ? now : null, updated_at: now })
        .where('id', '=', row.id)
        .execute();
      await recordEvent(trx, {
        storeId: row.store_id,
        livemode: row.livemode,
        type: request.action === 'pause' ? 'subscription.paused' : 'subscription.resumed',
        data: { id: row.id, invoice_id: row.invoice_id, actor: request.actor },
      });
      // Access the variant suspends while paused ends with the pause and comes back with the resume (outbox, after commit).
      if (request.action === 'pause') await requestGrantRevocation(trx, { invoiceId: row.invoice_id }, 'paused');
      else await restoreCommunityGrants(trx, row.invoice_id);
      break;
  }
  const inserted = await trx
    .insertInto('subscription_actions')
    .values({
      subscription_id: row.id,
      store_id: row.store_id,
      action: request.action,
      status: 'pending',
      actor: request.actor,
      request_key: request.requestKey,
      customer_message: null,
      preview_id: previewId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (previewId !== null)
    await trx.updateTable('subscription_change_previews').set({ action_id: inserted.id }).where('id', '=', previewId).execute();
  return { actionId: inserted.id };
}

/** The official subscription action record (…Actions…ResponseValue200…PropertyData). */
export function presentSubscriptionAction(
  action: Selectable<SubscriptionActionsTable>,
  subscription: Pick<Selectable<SubscriptionsTable>, 'provider' | 'provider_subscription_id'>,
): SubscriptionActionView {
  return {
    id: action.id,
    product_subscription_id: action.subscription_id,
    subscription_id: subscription.provider_subscription_id,
    action: action.action,
    status: action.status,
    provider: subscription.provider.toUpperCase(),
    customer_message: action.customer_message,
    confirmed_at: laravelTime(action.confirmed_at),
    failed_at: laravelTime(action.failed_at),
    created_at: laravelTime(action.created_at)!,
    updated_at: laravelTime(action.updated_at)!,
  };
}

export async function subscriptionActionView(db: DbExecutor, actionId: number): Promise<SubscriptionActionView> {
  const action = await db.selectFrom('subscription_actions').selectAll().where('id', '=', actionId).executeTakeFirstOrThrow();
  const subscription = await db
    .selectFrom('subscriptions')
    .select(['provider', 'provider_subscription_id'])
    .where('id', '=', action.subscription_id)
    .executeTakeFirstOrThrow();
  return presentSubscriptionAction(action, subscription);
}
