import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { sql } from 'kysely';
import pLimit from 'p-limit';
import { CommunityGrantWorkflows } from '../src/community/grant-workflow-client';
import { pendingRevocationSignals } from '../src/community/grant-records';
import type { Config } from '../src/config';
import type { Db } from '../src/db/schema';
import { deliverIntents } from '../src/outbox/engine-intents';
import { nextRelayDue, relayGoesToSleep, RELAY_SWEEP_MS } from '../src/outbox/relay-wakeups';
import { expireDueInvoices } from '../src/orders/expire-invoices';
import type { RelayRoundOutcome } from '../src/temporal/contracts/webhooks';
import type { SecretBox } from '../src/security/secret-box';
import { workflowIds } from '../src/temporal/workflow-ids';
import { attemptWebhook, PermanentWebhookError, settleWebhook } from '../src/webhooks/delivery';
import { attemptFirst } from '../src/webhooks/first-attempt';
import { type DeliveryStart, startDeliveryOnce } from '../src/webhooks/delivery-workflow-client';
import {
  describeEvent,
  type NotificationConfig,
  type NotificationSettings,
  PermanentNotificationError,
  sendNotification,
} from '../src/webhooks/notifications';

export const PERMANENT_WEBHOOK_FAILURE = 'PermanentWebhookFailure';
/** Workflow starts the relay has in flight at once: one at a time, a backlog drains at the server's round-trip rate. */
const WORKFLOW_STARTS_AT_ONCE = 16;

/** Outbound webhooks: the outbox relay and the delivery attempts. */
export function createWebhookActivities(deps: {
  db: Db;
  secrets: SecretBox;
  allowPrivateNetworks: boolean;
  notifications: NotificationConfig;
  community: Config['community'];
  crypto: Config['crypto'];
  client?: Client;
  taskQueue?: string;
}) {
  /**
   * Hands undelivered events to their targets. A short transaction picks the events (skip
   * locked) and records their deliveries; after it commits (no Temporal or HTTP call holds
   * a database connection: the embedded database has only one) each new webhook delivery
   * gets its first attempt right here, and delivery workflows are started only for what
   * needs retries, notifications and charge webhooks; then the events are marked
   * dispatched. A crash in between leaves them to the next round, which skips deliveries
   * already made, and the workflow ids make a second start a no-op.
   */
  async function dispatch(input: { limit: number }): Promise<number> {
    const { client, taskQueue } = deps;
    if (!client || !taskQueue) throw new Error('The outbox relay needs a Temporal client');
    const planned = await deps.db.transaction().execute(async (trx) => {
      const events = await trx
        .selectFrom('events')
        .select(['id', 'store_id', 'livemode', 'type', 'data', 'created_at'])
        .where('dispatched_at', 'is', null)
        .orderBy('created_at')
        .limit(input.limit)
        .forUpdate()
        .skipLocked()
        .execute();
      const starts: DeliveryStart[] = [];
      const webhooks: { deliveryId: number; workflowId: string; attempted: boolean }[] = [];
      for (const event of events) {
        // A charge with its own webhook URL hears of its status changes too.
        if (event.type === 'charge.updated') {
          const charge = await trx
            .selectFrom('invoices')
            .select(sql<string | null>`charge->>'webhook'`.as('webhook'))
            .where('id', '=', Number(event.data.id))
            .executeTakeFirst();
          if (charge?.webhook)
            starts.push({ type: 'chargeWebhook', workflowId: `charge-webhook-${event.id}`, args: [{ eventId: event.id }] });
        }
        const endpoints = await trx
          .selectFrom('webhook_endpoints')
          .select('id')
          .where('store_id', '=', event.store_id)
          .where('livemode', '=', event.livemode)
          .where('status', '=', 'active')
          .where('deleted_at', 'is', null)
          .where(sql<boolean>`${event.type} = any(events)`)
          // An endpoint hears what happened after it was created, however late the relay runs.
          .where('created_at', '<=', event.created_at)
          .execute();
        const channels = await trx
          .selectFrom('notification_channels')
          .select('id')
          .where('store_id', '=', event.store_id)
          .where('livemode', '=', event.livemode)
          .where('deleted_at', 'is', null)
          .where(sql<boolean>`${event.type} = any(events)`)
          .execute();
        for (const channel of channels) {
          const delivery = await trx
            .insertInto('notification_deliveries')
            .values({ channel_id: channel.id, event_id: event.id, error: null, last_attempt_at: null })
            .onConflict((oc) => oc.constraint('notification_deliveries_channel_event_uq').doUpdateSet({ channel_id: channel.id }))
            .returning('id')
            .executeTakeFirstOrThrow();
          starts.push({
            type: 'notificationDelivery',
            workflowId: workflowIds.notificationDelivery(event.id, channel.id),
            args: [{ deliveryId: delivery.id }],
          });
        }
        for (const endpoint of endpoints) {
          const delivery = await trx
            .insertInto('webhook_deliveries')
            .values({
              endpoint_id: endpoint.id,
              event_id: event.id,
              response_code: null,
              duration_ms: null,
              error: null,
              last_attempt_at: null,
            })
            .onConflict((oc) => oc.constraint('webhook_deliveries_endpoint_event_uq').doUpdateSet({ endpoint_id: endpoint.id }))
            .returning(['id', 'attempts'])
            .executeTakeFirstOrThrow();
          webhooks.push({
            deliveryId: delivery.id,
            workflowId: workflowIds.webhookDelivery(event.id, endpoint.id),
            // Tried by a round that died before marking its events: its workflow (if any) owns it.
            attempted: delivery.attempts > 0,
          });
        }
      }
      // Community grants whose end was recorded (refund, dispute, subscription end, ops).
      const revocations = await pendingRevocationSignals(trx, input.limit);
      return { eventIds: events.map((e) => e.id), starts, webhooks, revocations };
    });
    const first = await attemptFirst(
      { ...deps, cancelled: Context.current().cancellationSignal },
      planned.webhooks.filter((w) => !w.attempted).map((w) => w.deliveryId),
    );
    const settled = new Set(first.settled);
    const untried = new Set(first.untried);
    for (const webhook of planned.webhooks)
      if (!settled.has(webhook.deliveryId))
        planned.starts.push({
          type: 'webhookDelivery',
          workflowId: webhook.workflowId,
          args: [{ deliveryId: webhook.deliveryId, ...(untried.has(webhook.deliveryId) ? {} : { afterFailedAttempt: true }) }],
        });
    const starting = pLimit(WORKFLOW_STARTS_AT_ONCE);
    await Promise.all(planned.starts.map((start) => starting(() => startDeliveryOnce(client, taskQueue, start))));
    if (planned.eventIds.length > 0)
      await deps.db.updateTable('events').set({ dispatched_at: new Date() }).where('id', 'in', planned.eventIds).execute();
    const grants = new CommunityGrantWorkflows(client, taskQueue, deps.community);
    for (const grantId of planned.revocations) await grants.revoke(grantId);
    if (planned.revocations.length > 0)
      await deps.db
        .updateTable('community_grants')
        .set({ revoke_signaled_at: new Date() })
        .where('id', 'in', planned.revocations)
        .execute();
    // Starts and signals whose caller died (or lost Temporal) between its commit and its call.
    const intents = await deliverIntents(
      { db: deps.db, client, taskQueue, crypto: deps.crypto, community: deps.community },
      { pending: input.limit },
    );
    return planned.eventIds.length + planned.revocations.length + intents;
  }

  return {
    /** The polling relay's round (runs started before the relay slept between news). */
    async dispatchEvents(input: { limit: number }): Promise<number> {
      return dispatch(input);
    },

    /**
     * One round of the relay that sleeps between news: hand out what is owed, void unpaid
     * invoices past their window, and when that was nothing, record the sleep until the next
     * thing comes due (or the sweep ceiling) for the workers that wake it.
     */
    async relayRound(input: { limit: number }): Promise<RelayRoundOutcome> {
      const handed = (await dispatch(input)) + (await expireDueInvoices(deps.db, input.limit));
      if (handed > 0) return { handed, sleepMs: 0 };
      const now = Date.now();
      const due = (await nextRelayDue(deps.db))?.getTime() ?? Infinity;
      const wakeAt = new Date(Math.min(now + RELAY_SWEEP_MS, due));
      if (wakeAt.getTime() <= now || (await relayGoesToSleep(deps.db, Context.current().info.taskQueue, wakeAt)))
        return { handed, sleepMs: 0 };
      return { handed, sleepMs: wakeAt.getTime() - now };
    },

    async attemptWebhook(input: { deliveryId: number }): Promise<void> {
      try {
        await attemptWebhook({ ...deps, cancelled: Context.current().cancellationSignal }, input.deliveryId);
      } catch (error) {
        if (error instanceof PermanentWebhookError) throw ApplicationFailure.nonRetryable(error.message, PERMANENT_WEBHOOK_FAILURE);
        throw error;
      }
    },

    /** One attempt of a store notification (Discord channel or e-mail). */
    async attemptNotification(input: { deliveryId: number }): Promise<void> {
      const row = await deps.db
        .selectFrom('notification_deliveries as d')
        .innerJoin('notification_channels as c', 'c.id', 'd.channel_id')
        .innerJoin('events as e', 'e.id', 'd.event_id')
        .select(['d.status', 'c.kind', 'c.settings_sealed', 'c.deleted_at', 'e.id', 'e.type', 'e.livemode', 'e.data'])
        .where('d.id', '=', input.deliveryId)
        .executeTakeFirstOrThrow();
      if (row.status === 'succeeded' || row.deleted_at) return;
      const settings = JSON.parse(deps.secrets.open(row.settings_sealed)) as NotificationSettings;
      try {
        // Notification webhooks pass the same network guard as store webhooks.
        await sendNotification(row.kind, settings, describeEvent(row), deps.notifications, { allowPrivate: deps.allowPrivateNetworks });
        await deps.db
          .updateTable('notification_deliveries')
          .set({ status: 'succeeded', attempts: sql`attempts + 1`, error: null, last_attempt_at: new Date() })
          .where('id', '=', input.deliveryId)
          .execute();
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        const final = error instanceof PermanentNotificationError;
        await deps.db
          .updateTable('notification_deliveries')
          .set({ attempts: sql`attempts + 1`, error: reason, last_attempt_at: new Date(), ...(final ? { status: 'failed' as const } : {}) })
          .where('id', '=', input.deliveryId)
          .execute();
        if (final) throw ApplicationFailure.nonRetryable(reason, PERMANENT_WEBHOOK_FAILURE);
        throw error;
      }
    },

    async markNotificationFailed(input: { deliveryId: number }): Promise<void> {
      await deps.db
        .updateTable('notification_deliveries')
        .set({ status: 'failed' })
        .where('id', '=', input.deliveryId)
        .where('status', '!=', 'succeeded')
        .execute();
    },

    async settleWebhook(input: { deliveryId: number; succeeded: boolean }): Promise<void> {
      await settleWebhook(deps.db, input.deliveryId, input.succeeded);
    },
  };
}

export type WebhookActivities = ReturnType<typeof createWebhookActivities>;
