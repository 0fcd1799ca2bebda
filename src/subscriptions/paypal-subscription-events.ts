import type { DbExecutor } from '../db/schema';
import { addInterval, type BillingInterval } from '../domain/billing-interval';
import type { ProviderChange } from '../domain/subscription-lifecycle';
import type { PaypalEvent } from '../gateways/paypal/paypal-event-shape';
import { minorUnits } from '../gateways/paypal/paypal-gateway';
import { noticeRenewalPaid } from '../orders/buyer-notices';
import { flagPaymentIssue } from '../orders/payment-attention';
import { invoiceOfPaypalSubscription } from '../orders/paypal-subscription-checkout';
import { isSellerPauseNote } from './paypal-subscription-provider';
import type { SubscriptionEventOutcome } from './stripe-subscription-events';
import { applyToSubscription, ensureSubscription, recordSubscriptionPayment } from './subscription-records';

/** A PayPal webhook event whose signature PayPal verified (verify-webhook-signature). */
export type VerifiedPaypalEvent = PaypalEvent;

/** The events this module handles: the rest (orders, captures, disputes) are the one-off payment's. */
export const PAYPAL_SUBSCRIPTION_EVENTS = new Set([
  'BILLING.SUBSCRIPTION.ACTIVATED',
  'BILLING.SUBSCRIPTION.PAYMENT.FAILED',
  'BILLING.SUBSCRIPTION.SUSPENDED',
  'BILLING.SUBSCRIPTION.CANCELLED',
  'BILLING.SUBSCRIPTION.EXPIRED',
]);

/** A sale's refund or reversal: sales are only ever a subscription's (one-off payments are captures). */
export const PAYPAL_SALE_REFUNDS = new Set(['PAYMENT.SALE.REFUNDED', 'PAYMENT.SALE.REVERSED']);

/** PAYMENT.SALE.COMPLETED is a subscription's payment only when it names a billing agreement (the subscription). */
export const isPaypalSubscriptionEvent = (event: VerifiedPaypalEvent) =>
  PAYPAL_SUBSCRIPTION_EVENTS.has(event.eventType) ||
  PAYPAL_SALE_REFUNDS.has(event.eventType) ||
  (event.eventType === 'PAYMENT.SALE.COMPLETED' && typeof event.resource.billing_agreement_id === 'string');

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null);
const timeOf = (value: unknown, fallback: Date) => {
  const parsed = typeof value === 'string' ? new Date(value) : null;
  return parsed && !Number.isNaN(parsed.getTime()) ? parsed : fallback;
};

/**
 * Our subscription of this PayPal id (undefined: none yet). An event of the other mode's app
 * never touches it (null): the trust boundary between live and test.
 */
async function subscriptionOfMode(trx: DbExecutor, storeId: number, livemode: boolean, paypalId: string) {
  const row = await trx
    .selectFrom('subscriptions')
    .select(['id', 'livemode'])
    .where('store_id', '=', storeId)
    .where('provider', '=', 'paypal')
    .where('provider_subscription_id', '=', paypalId)
    .executeTakeFirst();
  if (!row) return undefined;
  return row.livemode === livemode ? row.id : null;
}

/**
 * Our subscription behind a PayPal subscription id. One we have not seen yet is created for the
 * invoice whose checkout created that PayPal subscription (recorded on the invoice), never for
 * the invoice its custom_id names: that is whatever the subscription's creator wrote.
 */
async function resolve(trx: DbExecutor, storeId: number, livemode: boolean, paypalId: string | null, payerId: string | null) {
  if (!paypalId) return null;
  const known = await subscriptionOfMode(trx, storeId, livemode, paypalId);
  if (known !== undefined) return known;
  const invoice = await invoiceOfPaypalSubscription(trx, storeId, paypalId);
  if (!invoice || invoice.livemode !== livemode) return null;
  const created = await ensureSubscription(trx, {
    storeId,
    invoiceId: invoice.id,
    provider: 'paypal',
    providerSubscriptionId: paypalId,
    providerCustomerId: payerId,
  });
  return created?.id ?? null;
}

/**
 * A renewal's sale that is not the plan's price: the plan was made at the order's total in its
 * currency (plans.ts, cached in paypal_billing_plans), so that is what each cycle must bring.
 * Null when it does.
 */
function renewalMismatch(
  sale: { amountMinor: number; currency: string },
  plan: { total_cents: number; currency: string },
): { code: 'currency' | 'amount'; reason: string } | null {
  if (sale.currency.toUpperCase() !== plan.currency)
    return { code: 'currency', reason: `the sale is in ${sale.currency.toUpperCase()}, the plan bills ${plan.currency}` };
  if (sale.amountMinor !== plan.total_cents)
    return { code: 'amount', reason: `the sale is ${sale.amountMinor} ${plan.currency}, the plan bills ${plan.total_cents}` };
  return null;
}

/**
 * A subscription payment (a sale), recorded once by its sale id. Only a new one moves the
 * period, by one billing interval: from the sale for the first payment (which confirms the
 * period guessed at activation; its invoice's own matching judges its amount), from the paid
 * period's end for a renewal. A renewal that is not the plan's price or currency is recorded
 * paying no period (its start is its end), and its order flagged for ops (`order.payment_mismatch`);
 * the subscription is not extended. A redelivered event finds its sale recorded and changes nothing.
 */
async function recordSale(trx: DbExecutor, subscriptionId: number, sale: Record<string, unknown>, at: Date, event: VerifiedPaypalEvent) {
  const amount = (sale.amount ?? {}) as { total?: string; currency?: string };
  const saleId = text(sale.id);
  const currency = text(amount.currency);
  const amountMinor = currency ? minorUnits(amount.total, currency) : null;
  if (!saleId || !currency || amountMinor === null) return null;
  const row = await trx
    .selectFrom('subscriptions as s')
    .innerJoin('product_variants as v', 'v.id', 's.product_variant_id')
    .innerJoin('invoices as i', 'i.id', 's.invoice_id')
    .select([
      's.current_period_end',
      's.period_confirmed',
      's.livemode',
      'v.frequency_interval',
      'v.frequency_value',
      'i.id as invoice_id',
      'i.total_cents',
      'i.currency',
    ])
    .where('s.id', '=', subscriptionId)
    .forUpdate('s')
    .executeTakeFirstOrThrow();
  const paidAt = timeOf(sale.create_time, at);
  const start = row.period_confirmed ? row.current_period_end : paidAt;
  const mismatch = row.period_confirmed ? renewalMismatch({ amountMinor, currency }, row) : null;
  const end = mismatch ? start : addInterval(start, (row.frequency_interval ?? 'MONTH') as BillingInterval, row.frequency_value ?? 1);
  const recorded = await recordSubscriptionPayment(trx, subscriptionId, {
    providerInvoiceId: saleId,
    // The sale is what a refund names.
    paymentIntentId: saleId,
    amountCents: amountMinor,
    currency,
    periodStart: start,
    periodEnd: end,
    paidAt,
  });
  if (recorded && mismatch) {
    await flagPaymentIssue(trx, row.invoice_id, {
      ...mismatch,
      reason: `renewal sale ${saleId}: ${mismatch.reason}; the subscription was not extended`,
      gateway: 'PayPal',
      eventId: event.id,
      eventType: event.eventType,
      livemode: row.livemode,
      reference: saleId,
      amountCents: amountMinor,
      currency,
    });
  } else if (recorded) {
    await applyToSubscription(trx, subscriptionId, { kind: 'paid', periodStart: start, periodEnd: end });
    await noticeRenewalPaid(trx, subscriptionId, saleId);
  }
  return { saleId, currency, amountMinor, mismatch: recorded ? (mismatch?.reason ?? null) : null };
}

/**
 * PayPal's subscription events, in the same lifecycle Stripe's drive: a sale renews, a failed
 * payment or a suspension (PayPal stopped billing after failures; not the echo of a seller's
 * pause, which changes nothing) makes it PAST_DUE, a
 * cancellation or expiry ends it. Redeliveries change nothing (sales are recorded by id; the
 * lifecycle never leaves an end). A cancellation while a cancel at period end of ours is
 * scheduled (we cancel at PayPal at once: PayPal has no cancel at period end), or the buyer
 * cancelling at PayPal mid-period, keeps access to the paid period's end, without grace.
 */
export async function applyPaypalSubscriptionEvent(
  trx: DbExecutor,
  storeId: number,
  /** The mode of the app whose webhook id verified the event. */
  livemode: boolean,
  event: VerifiedPaypalEvent,
): Promise<SubscriptionEventOutcome & { mismatch?: string }> {
  const none: SubscriptionEventOutcome = { subscriptionId: null, pays: null };
  // A sale's refund is the webhook's (paypal-subscription-webhook.ts): it touches no lifecycle.
  if (!isPaypalSubscriptionEvent(event) || PAYPAL_SALE_REFUNDS.has(event.eventType)) return none;
  const resource = event.resource;
  const at = timeOf(event.createTime, new Date());

  if (event.eventType === 'PAYMENT.SALE.COMPLETED') {
    if (text(resource.state) !== 'completed') return none;
    const id = await resolve(trx, storeId, livemode, text(resource.billing_agreement_id), null);
    if (!id) return none;
    const sale = await recordSale(trx, id, resource, at, event);
    if (!sale) return { subscriptionId: id, pays: null };
    if (sale.mismatch) return { subscriptionId: id, pays: null, mismatch: sale.mismatch };
    // The subscription's first sale pays its invoice (a redelivery of it says so again, harmlessly).
    const first = await trx
      .selectFrom('subscription_payments')
      .select('provider_invoice_id')
      .where('subscription_id', '=', id)
      .orderBy('paid_at')
      .orderBy('id')
      .executeTakeFirst();
    if (first?.provider_invoice_id !== sale.saleId) return { subscriptionId: id, pays: null };
    const sub = await trx
      .selectFrom('subscriptions')
      .select(['invoice_id', 'provider_subscription_id'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return {
      subscriptionId: id,
      pays: {
        invoiceId: sub.invoice_id,
        reference: sub.provider_subscription_id,
        amountCents: sale.amountMinor,
        currency: sale.currency,
        transactionId: sale.saleId,
      },
    };
  }

  const paypalId = text(resource.id);
  const subscriber = (resource.subscriber ?? {}) as { payer_id?: unknown };
  const id =
    event.eventType === 'BILLING.SUBSCRIPTION.ACTIVATED'
      ? await resolve(trx, storeId, livemode, paypalId, text(subscriber.payer_id))
      : paypalId && (await subscriptionOfMode(trx, storeId, livemode, paypalId));
  if (!id) return none;
  let change: ProviderChange | null = null;
  switch (event.eventType) {
    case 'BILLING.SUBSCRIPTION.PAYMENT.FAILED':
      change = { kind: 'payment_failed', periodEnd: null, at };
      break;
    case 'BILLING.SUBSCRIPTION.SUSPENDED': {
      // Our own suspend's echo (a seller's pause, seen by its note even when it comes after the
      // resume) is no news; PayPal suspending on its own means failed payments past the threshold.
      const row = await trx.selectFrom('subscriptions').select('paused_at').where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
      if (!row.paused_at && !isSellerPauseNote(text(resource.status_change_note))) change = { kind: 'payment_failed', periodEnd: null, at };
      break;
    }
    case 'BILLING.SUBSCRIPTION.EXPIRED':
      change = { kind: 'deleted', at };
      break;
    case 'BILLING.SUBSCRIPTION.CANCELLED': {
      const row = await trx
        .selectFrom('subscriptions')
        .select(['cancellation_in_progress', 'current_period_end', 'status'])
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const midPeriod = !row.cancellation_in_progress && row.status === 'ACTIVE' && at < row.current_period_end;
      change = midPeriod
        ? { kind: 'updated', providerStatus: 'active', periodStart: null, periodEnd: null, cancelAtPeriodEnd: true, at }
        : { kind: 'deleted', at };
      break;
    }
    default:
      // ACTIVATED: the record exists now; its first sale confirms the period.
      break;
  }
  if (change) await applyToSubscription(trx, id, change);
  return { subscriptionId: id, pays: null };
}
