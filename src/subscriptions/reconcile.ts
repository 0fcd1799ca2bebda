import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { sql } from 'kysely';
import Stripe from 'stripe';
import type { Db } from '../db/schema';
import { hasEnded, type ProviderChange } from '../domain/subscription-lifecycle';
import { recordEvent } from '../events/record';
import type { ProviderSubscription, StripeGateway } from '../gateways/stripe-gateway';
import type { SecretBox } from '../security/secret-box';
import { workflowIds } from '../temporal/workflow-ids';
import { StripeNotConfiguredError, stripeSecretKey } from './stripe-key';
import { applyToSubscription } from './subscription-records';
import { subscriptionChanged } from './subscription-workflow-client';

export interface ReconcileContext {
  db: Db;
  secrets: SecretBox;
  stripe: StripeGateway;
  client: Client;
  taskQueue: string;
}

export interface Repair {
  problem:
    | 'missing_workflow'
    | 'provider_canceled'
    | 'provider_still_billing'
    | 'provider_past_due'
    | 'cancel_flag_differs'
    | 'cancel_not_sent'
    | 'provider_missing'
    | 'provider_unreachable'
    | 'check_failed';
  action: 'workflow_started' | 'canceled' | 'cancel_at_provider' | 'marked_past_due' | 'adopted_provider_flag' | 'reported';
  detail: Record<string, unknown>;
}

const PROVIDER_ENDED = new Set(['canceled', 'incomplete_expired']);
/** A cancellation still unsent after this long was not merely in flight. */
const STALE_REQUEST_MS = 60_000;

async function workflowRunning(client: Client, subscriptionId: number): Promise<boolean> {
  try {
    const description = await client.workflow.getHandle(workflowIds.subscription(subscriptionId)).describe();
    return description.status.name === 'RUNNING';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

type Row = Awaited<ReturnType<typeof loadRow>>;
const loadRow = (db: Db, id: number) => db.selectFrom('subscriptions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

/** Where the provider's record and ours disagree, and what we do about it. */
function compare(row: Row, remote: ProviderSubscription): { repair: Repair; change?: ProviderChange; reopenProvider?: boolean } | null {
  const ended = hasEnded(row.status);
  const at = new Date();
  const detail = { provider_status: remote.status, our_status: row.status };
  if (!ended && PROVIDER_ENDED.has(remote.status))
    return { repair: { problem: 'provider_canceled', action: 'canceled', detail }, change: { kind: 'deleted', at } };
  if (ended && !PROVIDER_ENDED.has(remote.status) && row.provider_ended_at) {
    return { repair: { problem: 'provider_still_billing', action: 'cancel_at_provider', detail }, reopenProvider: true };
  }
  if (ended) return null;
  const updated: ProviderChange = {
    kind: 'updated',
    providerStatus: remote.status,
    periodStart: remote.periodStart,
    periodEnd: remote.periodEnd,
    cancelAtPeriodEnd: remote.cancelAtPeriodEnd,
    at,
  };
  if ((remote.status === 'past_due' || remote.status === 'unpaid') && row.status === 'ACTIVE')
    return { repair: { problem: 'provider_past_due', action: 'marked_past_due', detail }, change: updated };
  // A cancellation we have not sent yet is ours to send, not a disagreement.
  if (remote.cancelAtPeriodEnd !== row.cancel_at_period_end && !row.cancel_request && !row.cancellation_in_progress) {
    return {
      repair: {
        problem: 'cancel_flag_differs',
        action: 'adopted_provider_flag',
        detail: { ...detail, provider_cancel_at_period_end: remote.cancelAtPeriodEnd },
      },
      change: updated,
    };
  }
  return null;
}

/**
 * Checks one subscription against its workflow and its provider, repairs what it can and
 * returns what it found. Every repair goes through the same rules as a webhook, so running
 * twice changes nothing more.
 */
export async function reconcileSubscription(ctx: ReconcileContext, subscriptionId: number): Promise<Repair[]> {
  const repairs: Repair[] = [];
  let row = await loadRow(ctx.db, subscriptionId);
  let remote: ProviderSubscription | null = null;
  // Only Stripe's record is compared yet; a PayPal subscription is checked against its workflow.
  if (row.provider === 'stripe')
    try {
      remote = await ctx.stripe.retrieveSubscription(
        await stripeSecretKey(ctx.db, ctx.secrets, row.store_id, row.livemode),
        row.provider_subscription_id,
      );
      if (!remote)
        repairs.push({
          problem: 'provider_missing',
          action: 'reported',
          detail: { provider_subscription_id: row.provider_subscription_id },
        });
    } catch (error) {
      if (!(error instanceof StripeNotConfiguredError) && !(error instanceof Stripe.errors.StripeError)) throw error;
      repairs.push({ problem: 'provider_unreachable', action: 'reported', detail: { reason: error.message } });
    }
  let changed = false;
  const disagreement = remote ? compare(row, remote) : null;
  if (disagreement) {
    repairs.push(disagreement.repair);
    if (disagreement.change) await ctx.db.transaction().execute((trx) => applyToSubscription(trx, row.id, disagreement.change!));
    if (disagreement.reopenProvider) {
      // Told again under a fresh idempotency key: Stripe would replay the first answer.
      await ctx.db
        .updateTable('subscriptions')
        .set({ provider_ended_at: null, provider_end_attempt: sql`provider_end_attempt + 1`, updated_at: new Date() })
        .where('id', '=', row.id)
        .execute();
    }
    changed = true;
    row = await loadRow(ctx.db, subscriptionId);
  }
  const unsentCancel = row.cancel_request !== null && row.cancel_request_sent_at === null;
  const workRemains = !hasEnded(row.status) || !row.entitlements_revoked_at || !row.provider_ended_at || unsentCancel;
  const running = await workflowRunning(ctx.client, row.id);
  if (workRemains && !running) {
    repairs.push({
      problem: 'missing_workflow',
      action: 'workflow_started',
      detail: { status: row.status, current_period_end: row.current_period_end.toISOString() },
    });
  } else if (unsentCancel && running && row.cancel_request && Date.now() - Date.parse(row.cancel_request.requested_at) > STALE_REQUEST_MS) {
    // Recorded but never sent (the wake-up after the API's commit was lost): wake it now.
    repairs.push({ problem: 'cancel_not_sent', action: 'workflow_started', detail: { requested_at: row.cancel_request.requested_at } });
    changed = true;
  }
  if ((workRemains && !running) || (changed && running)) await subscriptionChanged(ctx.client, ctx.taskQueue, row, 'reconciliation');
  return repairs;
}

/** Writes a run's findings for one subscription, each with a subscription.repaired event. */
export async function recordRepairs(db: Db, reconciliationId: number, subscriptionId: number, repairs: Repair[]): Promise<void> {
  if (repairs.length === 0) return;
  await db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('subscriptions')
      .select(['id', 'store_id', 'livemode', 'invoice_id'])
      .where('id', '=', subscriptionId)
      .executeTakeFirstOrThrow();
    for (const repair of repairs) {
      await trx
        .insertInto('subscription_repairs')
        .values({
          reconciliation_id: reconciliationId,
          subscription_id: row.id,
          store_id: row.store_id,
          problem: repair.problem,
          action: repair.action,
          detail: JSON.stringify(repair.detail),
        })
        .execute();
      await recordEvent(trx, {
        storeId: row.store_id,
        livemode: row.livemode,
        type: 'subscription.repaired',
        data: { id: row.id, invoice_id: row.invoice_id, problem: repair.problem, action: repair.action, ...repair.detail },
      });
    }
  });
}
