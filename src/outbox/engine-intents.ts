import type { FulfillmentNoticeDependencies } from '../orders/fulfillment-notices';
import { CommunityGrantWorkflows } from '../community/grant-workflow-client';
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Db, DbTransaction, EngineIntentKind } from '../db/schema';
import { type EngineIntent, recordIntent } from './record-intent';
import { type CryptoSettings } from '../gateways/crypto/chain-access';
import { startCryptoPaymentWorkflow } from '../gateways/crypto/crypto-payment-workflow-client';
import { cryptoAcceptanceOf } from '../gateways/crypto/crypto-payment-records';
import { type InvoiceStatus, isAwaitingPayment } from '../domain/invoice-status';
import { failpoint } from '../failpoints';
import { OrderWorkflows } from '../orders/order-workflow-client';
import { startBuyerNotice } from '../orders/buyer-notice-workflow-client';
import { startCheckoutReminders, stopCheckoutReminders } from '../orders/checkout-reminder-workflow-client';
import { startRefundWorkflow } from '../refunds/refund-workflow-client';
import { startPaypalCapture } from '../gateways/paypal/paypal-capture-workflow-client';
import { subscriptionChanged } from '../subscriptions/subscription-workflow-client';
import { mainTaskQueue } from '../temporal/task-queues';

/**
 * Delivering the engine outbox's intents (recorded by record-intent.ts, which the domains use
 * without pulling in the workflow clients this module needs).
 */
export interface EngineConnection {
  db: Db;
  client: Client;
  taskQueue: string;
  crypto: CryptoSettings;
  /** How a community grant's workflow paces its checks (a grant given back starts from here; without it the relay starts it). */
  community?: Pick<Config['community'], 'checkMs' | 'checkCeilingMs'>;
  /** Where a delivered order's buyer e-mail is resent from (the API and console have it). */
  mailer?: FulfillmentNoticeDependencies['mailer'];
  /** Crash tests only (SELLFLOW_FAILPOINTS). */
  failpoints?: readonly string[];
}

/** The connection a process with the whole config (API, CLI) uses; the task queue is the config's unless given. */
export function engineConnection(
  db: Db,
  client: Client,
  config: Pick<Config, 'crypto' | 'community' | 'failpoints' | 'temporal'>,
  taskQueue = mainTaskQueue(config.temporal.taskQueuePrefix),
): EngineConnection {
  return { db, client, taskQueue, crypto: config.crypto, community: config.community, failpoints: config.failpoints };
}

/** How long one telling may take before it is left to the relay's next round. */
const TELL_DEADLINE_MS = 5_000;

/** How long the caller has to deliver an intent itself before the relay takes it over. */
export const RELAY_AFTER_MS = 2_000;

async function send(engine: EngineConnection, kind: EngineIntentKind, subjectId: number, detail: Record<string, string>): Promise<void> {
  const orders = new OrderWorkflows(engine.client, engine.taskQueue);
  const invoice = () =>
    engine.db
      .selectFrom('invoices')
      .select(['id', 'store_id', 'expires_at', 'status'])
      .where('id', '=', subjectId)
      .executeTakeFirstOrThrow();
  switch (kind) {
    // Recorded before unpaid invoices went without a workflow; still delivered when owed.
    case 'order.start':
      return orders.start(await invoice());
    case 'order.payment_received':
      return orders.paymentReceived(await invoice(), detail.source ?? 'outbox');
    case 'order.void_requested':
      return orders.voidRequested(await invoice());
    case 'order.sale_changed':
      return orders.saleChanged(await invoice(), detail.status ?? '');
    case 'crypto.start':
      // A crypto checkout starts its order too: the chain watcher tells it of the money, and
      // its window stays open while a payment made in time confirms.
      await orders.start(await invoice());
      // The store's settings as the checkout fixed them travel in the watcher's input.
      return startCryptoPaymentWorkflow(
        engine.client,
        engine.taskQueue,
        engine.crypto,
        subjectId,
        await cryptoAcceptanceOf(engine.db, subjectId),
      );
    case 'subscription.changed': {
      const subscription = await engine.db
        .selectFrom('subscriptions')
        .select(['id', 'store_id', 'status'])
        .where('id', '=', subjectId)
        .executeTakeFirstOrThrow();
      return subscriptionChanged(engine.client, engine.taskQueue, subscription, detail.reason ?? 'outbox');
    }
    case 'paypal.capture':
      // Paid or voided before the relay got here: nothing to capture (the activity checks again, under the lock).
      if (!isAwaitingPayment((await invoice()).status as InvoiceStatus)) return;
      return startPaypalCapture(engine.client, engine.taskQueue, { invoiceId: subjectId, orderId: detail.order_id ?? '' });
    case 'refund.start':
      return startRefundWorkflow(engine.client, engine.taskQueue, subjectId);
    case 'checkout_reminders.start':
      // Paid or voided before the relay got here: no timers to start.
      if (!isAwaitingPayment((await invoice()).status as InvoiceStatus)) return;
      return startCheckoutReminders(engine.client, engine.taskQueue, subjectId);
    case 'checkout_reminders.stop':
      return stopCheckoutReminders(engine.client, subjectId);
    case 'buyer_notice.send':
      return startBuyerNotice(engine.client, engine.taskQueue, subjectId, JSON.parse(detail.notice ?? '{}'));
    case 'community.grant_start':
      if (!engine.community) throw new Error('No community pacing here: the relay starts this grant');
      return new CommunityGrantWorkflows(engine.client, engine.taskQueue, engine.community).start(subjectId);
  }
}

/**
 * Delivers the named intents, or (for the relay) every intent still pending after
 * `RELAY_AFTER_MS`. Returns how many were delivered; a failure is recorded on the intent
 * and left for the next round, never thrown at the caller whose change is committed.
 */
export async function deliverIntents(engine: EngineConnection, which: { ids: number[] } | { pending: number }): Promise<number> {
  if ('ids' in which && which.ids.length === 0) return 0;
  let query = engine.db.selectFrom('engine_intents').select(['id', 'kind', 'subject_id', 'detail']).where('delivered_at', 'is', null);
  query =
    'ids' in which
      ? query.where('id', 'in', which.ids)
      : query
          .where('created_at', '<', new Date(Date.now() - RELAY_AFTER_MS))
          .orderBy('id')
          .limit(which.pending);
  let delivered = 0;
  for (const intent of await query.execute()) {
    try {
      // Bounded: a request must not hang on a Temporal that is away (the relay will tell it later).
      await engine.client.withDeadline(Date.now() + TELL_DEADLINE_MS, () => send(engine, intent.kind, intent.subject_id, intent.detail));
      await engine.db
        .updateTable('engine_intents')
        .set({ delivered_at: new Date(), last_error: null })
        .where('id', '=', intent.id)
        .execute();
      delivered += 1;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      await engine.db
        .updateTable('engine_intents')
        .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: reason.slice(0, 500) }))
        .where('id', '=', intent.id)
        .execute();
    }
  }
  return delivered;
}

/**
 * Runs `change` in a transaction that also records what the engine must hear of it, then
 * tells the engine. The change is the answer; the telling may fall to the relay.
 */
export async function commitAndTell<T>(
  engine: EngineConnection,
  change: (trx: DbTransaction) => Promise<{ value: T; intents: EngineIntent[] }>,
): Promise<T> {
  const { value, ids } = await engine.db.transaction().execute(async (trx) => {
    const { value, intents } = await change(trx);
    const ids: number[] = [];
    for (const intent of intents) ids.push(await recordIntent(trx, intent));
    return { value, ids };
  });
  // Between the commit and the telling: where a crash test kills the process (nothing is lost).
  if (ids.length > 0) failpoint({ failpoints: engine.failpoints ?? [] }, 'after-intent-commit');
  await deliverIntents(engine, { ids });
  return value;
}

/** An intent the relay could not deliver either: shown to ops as an order the engine has not heard of. */
export const UNHEARD_AFTER_MS = 10_000;

export interface UnheardIntent {
  id: number;
  invoice_id: number;
  kind: EngineIntentKind;
  since: Date;
  attempts: number;
  last_error: string | null;
}

/** Orders with news the engine has still not heard after `UNHEARD_AFTER_MS` (oldest first). */
export async function unheardOrders(db: Db, storeId?: number): Promise<UnheardIntent[]> {
  let query = db
    .selectFrom('engine_intents as e')
    .innerJoin('invoices as i', 'i.id', 'e.subject_id')
    .select(['e.id', 'e.subject_id as invoice_id', 'e.kind', 'e.created_at as since', 'e.attempts', 'e.last_error'])
    .where('e.kind', 'in', ['order.start', 'order.payment_received', 'order.void_requested', 'crypto.start', 'paypal.capture'])
    .where('e.delivered_at', 'is', null)
    .where('e.created_at', '<', new Date(Date.now() - UNHEARD_AFTER_MS))
    .orderBy('e.id');
  if (storeId !== undefined) query = query.where('i.store_id', '=', storeId);
  return query.execute();
}

export function describeUnheard(intent: UnheardIntent): string {
  const tries = intent.attempts > 0 ? ` after ${intent.attempts} tries${intent.last_error ? ` (${intent.last_error})` : ''}` : '';
  return `the engine has not heard ${intent.kind} since ${intent.since.toISOString()}${tries}`;
}
