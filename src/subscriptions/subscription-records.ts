import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';
import { addInterval, type BillingInterval } from '../domain/billing-interval';
import {
  applyProviderChange,
  type LifecycleChange,
  type ProviderChange,
  settleAtDeadline,
  type SubscriptionPatch,
  type SubscriptionProgress,
  type SubscriptionSnapshot,
} from '../domain/subscription-lifecycle';
import { recordEvent } from '../events/record';

type SubscriptionRow = Awaited<ReturnType<typeof lockSubscription>>;

async function lockSubscription(trx: DbExecutor, subscriptionId: number) {
  return trx.selectFrom('subscriptions').selectAll().where('id', '=', subscriptionId).forUpdate().executeTakeFirstOrThrow();
}

export function snapshotOf(row: SubscriptionRow): SubscriptionSnapshot {
  return {
    status: row.status,
    currentPeriodStart: row.current_period_start,
    currentPeriodEnd: row.current_period_end,
    cancelAtPeriodEnd: row.cancel_at_period_end,
    cancellationInProgress: row.cancellation_in_progress,
    paymentFailedAt: row.payment_failed_at,
    periodConfirmed: row.period_confirmed,
    providerEventAt: row.provider_event_at,
    cancelPending: row.cancel_request !== null && row.cancel_request_sent_at === null,
  };
}

export function progressOf(row: SubscriptionRow): SubscriptionProgress {
  return {
    ...snapshotOf(row),
    cancelRequested: row.cancel_request !== null,
    cancelRequestSentAt: row.cancel_request_sent_at,
    paymentFailureNotifiedAt: row.payment_failure_notified_at,
    entitlementsRevoked: row.entitlements_revoked_at !== null,
    providerEnded: row.provider_ended_at !== null,
    renewalCheckedAt: row.renewal_checked_at,
    pausedAt: row.paused_at,
  };
}

function columnsOf(patch: SubscriptionPatch, now: Date) {
  return {
    ...(patch.status !== undefined && { status: patch.status }),
    ...(patch.currentPeriodStart !== undefined && { current_period_start: patch.currentPeriodStart }),
    ...(patch.currentPeriodEnd !== undefined && { current_period_end: patch.currentPeriodEnd }),
    ...(patch.cancelAtPeriodEnd !== undefined && { cancel_at_period_end: patch.cancelAtPeriodEnd }),
    ...(patch.cancellationInProgress !== undefined && { cancellation_in_progress: patch.cancellationInProgress }),
    ...(patch.paymentFailedAt !== undefined && { payment_failed_at: patch.paymentFailedAt }),
    ...(patch.periodConfirmed !== undefined && { period_confirmed: patch.periodConfirmed }),
    ...(patch.providerEventAt !== undefined && { provider_event_at: patch.providerEventAt }),
    ...(patch.endedAt !== undefined && { ended_at: patch.endedAt }),
    ...(patch.endReason !== undefined && { end_reason: patch.endReason }),
    ...(patch.providerEnded && { provider_ended_at: now }),
    updated_at: now,
  };
}

/** Writes a lifecycle change and its events in the caller's transaction. */
async function write(trx: DbExecutor, row: SubscriptionRow, change: LifecycleChange, now: Date): Promise<void> {
  if (Object.keys(change.patch).length > 0) {
    await trx.updateTable('subscriptions').set(columnsOf(change.patch, now)).where('id', '=', row.id).execute();
  }
  for (const event of change.events) {
    await recordEvent(trx, {
      storeId: row.store_id,
      livemode: row.livemode,
      type: event.type,
      data: { id: row.id, invoice_id: row.invoice_id, ...event.data },
    });
  }
}

/** Applies what the provider said, under the row lock. */
export async function applyToSubscription(
  trx: DbExecutor,
  subscriptionId: number,
  change: ProviderChange,
  now = new Date(),
): Promise<LifecycleChange> {
  const row = await lockSubscription(trx, subscriptionId);
  const result = applyProviderChange(snapshotOf(row), change);
  await write(trx, row, result, now);
  if (result.ignored === 'paid_after_end') {
    // Money for a subscription that has ended: a person decides whether to refund it.
    await recordEvent(trx, {
      storeId: row.store_id,
      livemode: row.livemode,
      type: 'delivery.needs_attention',
      data: { id: row.invoice_id, subscription_id: row.id, reason: 'subscription paid after it ended' },
    });
  }
  return result;
}

/** The access deadline passed: end the subscription unless news arrived meanwhile. */
export async function settleSubscription(
  trx: DbExecutor,
  subscriptionId: number,
  renewalLeewayMs: number,
  now = new Date(),
): Promise<LifecycleChange | null> {
  const row = await lockSubscription(trx, subscriptionId);
  const grace = await graceMs(trx, row.store_id);
  const result = settleAtDeadline(snapshotOf(row), { graceMs: grace, renewalLeewayMs }, now);
  if (result) await write(trx, row, result, now);
  return result;
}

export async function graceMs(db: DbExecutor, storeId: number): Promise<number> {
  const store = await db.selectFrom('stores').select('subscription_grace_seconds').where('id', '=', storeId).executeTakeFirstOrThrow();
  return store.subscription_grace_seconds * 1000;
}

export interface NewSubscription {
  storeId: number;
  invoiceId: number;
  provider: 'stripe' | 'paypal';
  providerSubscriptionId: string;
  providerCustomerId: string | null;
  /** The first paid period when the provider told us; otherwise one interval from now. */
  period?: { start: Date; end: Date };
}

/**
 * The subscription an invoice started, created on the first news of it whichever event that
 * is (Stripe does not order them). Returns null when the invoice bought no subscription.
 */
export async function ensureSubscription(trx: DbExecutor, input: NewSubscription): Promise<{ id: number; created: boolean } | null> {
  const known = await subscriptionByProviderId(trx, input.storeId, input.provider, input.providerSubscriptionId);
  if (known) return { id: known.id, created: false };
  const forInvoice = await trx
    .selectFrom('subscriptions')
    .select(['id', 'livemode'])
    .where('invoice_id', '=', input.invoiceId)
    .where('store_id', '=', input.storeId)
    .executeTakeFirst();
  if (forInvoice) {
    // A second provider subscription for one invoice (two paid checkouts): a person must stop one.
    await recordEvent(trx, {
      storeId: input.storeId,
      livemode: forInvoice.livemode,
      type: 'delivery.needs_attention',
      data: {
        id: input.invoiceId,
        subscription_id: forInvoice.id,
        reason: `a second ${input.provider} subscription (${input.providerSubscriptionId}) was paid for this invoice`,
      },
    });
    return null;
  }

  const line = await trx
    .selectFrom('invoice_lines as l')
    .innerJoin('invoices as i', 'i.id', 'l.invoice_id')
    .innerJoin('product_variants as v', 'v.id', 'l.variant_id')
    .select(['i.id as invoice_id', 'i.livemode', 'i.customer_email', 'l.variant_id', 'v.frequency_value', 'v.frequency_interval'])
    .where('l.invoice_id', '=', input.invoiceId)
    .where('i.store_id', '=', input.storeId)
    .where('v.pricing_type', '=', 'SUBSCRIPTION')
    .orderBy('l.id')
    .executeTakeFirst();
  if (!line || !line.frequency_interval) return null;
  // createInvoice refuses a subscription without the buyer's e-mail.
  if (line.customer_email === null) throw new Error(`Invoice ${line.invoice_id} bought a subscription without an e-mail`);
  const now = new Date();
  const period = input.period ?? {
    start: now,
    end: addInterval(now, line.frequency_interval as BillingInterval, line.frequency_value ?? 1),
  };
  const inserted = await trx
    .insertInto('subscriptions')
    .values({
      store_id: input.storeId,
      livemode: line.livemode,
      invoice_id: input.invoiceId,
      product_variant_id: line.variant_id,
      provider: input.provider,
      provider_subscription_id: input.providerSubscriptionId,
      provider_customer_id: input.providerCustomerId,
      customer_email: line.customer_email,
      status: 'ACTIVE',
      current_period_start: period.start,
      current_period_end: period.end,
      period_confirmed: input.period !== undefined,
      cancel_request_sent_at: null,
      payment_failed_at: null,
      payment_failure_notified_at: null,
      ended_at: null,
      end_reason: null,
      entitlements_revoked_at: null,
      provider_ended_at: null,
    })
    // Two first events at once: the second finds the first one's row.
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) {
    const raced = await subscriptionByProviderId(trx, input.storeId, input.provider, input.providerSubscriptionId);
    return raced ? { id: raced.id, created: false } : null;
  }
  await trx.updateTable('invoices').set({ subscription_id: inserted.id }).where('id', '=', input.invoiceId).execute();
  // Keys the first order already handed over now end with the subscription.
  await trx.updateTable('license_keys').set({ subscription_id: inserted.id }).where('invoice_id', '=', input.invoiceId).execute();
  await recordEvent(trx, {
    storeId: input.storeId,
    livemode: line.livemode,
    type: 'subscription.created',
    data: {
      id: inserted.id,
      invoice_id: input.invoiceId,
      current_period_start: period.start.toISOString(),
      current_period_end: period.end.toISOString(),
    },
  });
  return { id: inserted.id, created: true };
}

export interface SubscriptionPayment {
  providerInvoiceId: string;
  paymentIntentId: string | null;
  amountCents: number;
  currency: string;
  periodStart: Date;
  periodEnd: Date;
  paidAt: Date;
}

/** One row per provider invoice: a redelivered payment is recorded once. */
export async function recordSubscriptionPayment(trx: DbExecutor, subscriptionId: number, payment: SubscriptionPayment): Promise<boolean> {
  const row = await trx
    .insertInto('subscription_payments')
    .values({
      subscription_id: subscriptionId,
      provider_invoice_id: payment.providerInvoiceId,
      provider_payment_intent_id: payment.paymentIntentId,
      amount_cents: payment.amountCents,
      currency: payment.currency.toUpperCase(),
      period_start: payment.periodStart,
      period_end: payment.periodEnd,
      paid_at: payment.paidAt,
      provider_refund_id: null,
    })
    .onConflict((oc) =>
      oc.constraint('subscription_payments_invoice_uq').doUpdateSet({
        provider_payment_intent_id: sql`coalesce(subscription_payments.provider_payment_intent_id, excluded.provider_payment_intent_id)`,
      }),
    )
    .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
    .executeTakeFirstOrThrow();
  return row.inserted;
}

export async function subscriptionByProviderId(trx: DbExecutor, storeId: number, provider: string, providerSubscriptionId: string) {
  return trx
    .selectFrom('subscriptions')
    .select(['id', 'store_id'])
    .where('store_id', '=', storeId)
    .where('provider', '=', provider)
    .where('provider_subscription_id', '=', providerSubscriptionId)
    .executeTakeFirst();
}
