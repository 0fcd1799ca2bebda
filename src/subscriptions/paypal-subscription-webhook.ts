import type { Db, DbExecutor } from '../db/schema';
import type { InvoiceStatus } from '../domain/invoice-status';
import { matchPayment } from '../domain/payment-match';
import { applyGatewayEventOnce } from '../gateways/gateway-event-log';
import { saleRefundOf } from '../gateways/paypal/paypal-event-shape';
import { invoiceOfPaypalSubscription } from '../orders/paypal-subscription-checkout';
import { transitionInvoice } from '../orders/invoice-transitions';
import { flagPaymentIssue } from '../orders/payment-attention';
import { paidByOf, recordStripePayment } from '../orders/stripe-checkout-record';
import { recordIntent } from '../outbox/record-intent';
import { recordSubscriptionPaymentRefund } from '../refunds/subscription-payment-refund';
import type { SubscriptionFirstPayment } from './stripe-subscription-events';
import { applyPaypalSubscriptionEvent, PAYPAL_SALE_REFUNDS, type VerifiedPaypalEvent } from './paypal-subscription-events';

export interface PaypalSubscriptionWebhookOutcome {
  duplicate: boolean;
  subscriptionId: number | null;
  /** The invoice the subscription's first payment paid (its status is PAID). */
  paid: { id: number; store_id: number; expires_at: Date; status: string } | null;
  /** Engine intents recorded with the event, for the caller to deliver after commit. */
  intents: number[];
  /** The order the event concerns (paid by it, or whose subscription's payment it refunds). */
  invoiceId: number | null;
  /** What it did (kept on its gateway_events row): `paid`, `refunded`, `ignored`, `unmatched`, or null. */
  result: string | null;
  reason: string | null;
}

/** A refund or reversal of a subscription's sale (made in PayPal, or ours reported back), recorded once. */
async function applySaleRefund(
  trx: DbExecutor,
  storeId: number,
  livemode: boolean,
  event: VerifiedPaypalEvent,
  outcome: PaypalSubscriptionWebhookOutcome,
) {
  const refund = saleRefundOf(event.resource);
  if (!refund) return void Object.assign(outcome, { result: 'ignored', reason: 'not a sale refund' });
  const recorded = await recordSubscriptionPaymentRefund(trx, storeId, livemode, {
    provider: 'paypal',
    providerPaymentId: refund.saleId,
    providerRefundId: refund.refundId,
    currency: refund.currency,
    refunded: { kind: refund.kind, cents: refund.cents },
  });
  if (!recorded.matched) return void (outcome.result = 'unmatched');
  outcome.invoiceId = recorded.invoiceId;
  outcome.subscriptionId = recorded.subscriptionId;
  outcome.result = recorded.livemode === livemode ? 'refunded' : 'ignored';
  outcome.reason = recorded.reason;
}

/**
 * The first payment of a PayPal subscription pays its invoice, matched like every payment: our
 * checkout created that subscription for this invoice, in its mode and currency, for its total.
 */
async function settleFirstPayment(trx: DbExecutor, event: VerifiedPaypalEvent, livemode: boolean, pays: SubscriptionFirstPayment) {
  const invoice = await trx
    .selectFrom('invoices')
    .select(['id', 'store_id', 'expires_at', 'status', 'livemode', 'currency', 'total_cents', 'gateway'])
    .where('id', '=', pays.invoiceId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const ours = (await invoiceOfPaypalSubscription(trx, invoice.store_id, pays.reference))?.id === invoice.id;
  const arrived = {
    livemode,
    ours,
    reference: pays.reference,
    source: `PayPal subscription ${pays.reference}`,
    currency: pays.currency,
    amountCents: pays.amountCents,
  };
  const expected = {
    livemode: invoice.livemode,
    currency: invoice.currency,
    totalCents: invoice.total_cents,
    status: invoice.status as InvoiceStatus,
    paidBy: paidByOf(invoice.gateway),
  };
  const verdict = matchPayment(expected, arrived);
  if (verdict.kind === 'same_payment') return invoice.status === 'PAID' ? invoice : null;
  if (verdict.kind === 'pay') {
    await recordStripePayment(trx, invoice.id, pays.reference, pays.transactionId);
    const result = await transitionInvoice(trx, invoice.id, 'PAID', { event: 'order.paid', quiet: true, also: { paid_at: new Date() } });
    return result.status === 'PAID' ? { ...invoice, status: result.status } : null;
  }
  if (verdict.kind === 'partial') await transitionInvoice(trx, invoice.id, 'PARTIAL', { quiet: true });
  await flagPaymentIssue(trx, invoice.id, {
    gateway: 'paypal',
    eventId: event.id,
    eventType: event.eventType,
    livemode,
    reference: arrived.source,
    amountCents: pays.amountCents,
    currency: pays.currency,
    code: verdict.code,
    reason: verdict.reason,
  });
  return null;
}

/**
 * Applies one verified PayPal subscription event (isPaypalSubscriptionEvent), once: its event id
 * is recorded with the change, so a redelivery changes nothing but waking the workflows again.
 * `livemode` is the mode of the webhook id that verified it. The subscription's first sale pays
 * its invoice; the order and subscription workflows are owed their news in the same transaction.
 */
export async function applyPaypalSubscriptionWebhook(
  db: Db,
  storeId: number,
  livemode: boolean,
  event: VerifiedPaypalEvent,
): Promise<PaypalSubscriptionWebhookOutcome> {
  return db.transaction().execute(async (trx) => {
    const outcome: PaypalSubscriptionWebhookOutcome = {
      duplicate: false,
      subscriptionId: null,
      paid: null,
      intents: [],
      invoiceId: null,
      result: null,
      reason: null,
    };
    const once = await applyGatewayEventOnce(trx, { provider: 'paypal', eventId: event.id, storeId, type: event.eventType }, async () => {
      if (PAYPAL_SALE_REFUNDS.has(event.eventType)) {
        await applySaleRefund(trx, storeId, livemode, event, outcome);
      } else {
        const applied = await applyPaypalSubscriptionEvent(trx, storeId, livemode, event);
        outcome.subscriptionId = applied.subscriptionId;
        if (applied.pays) outcome.paid = await settleFirstPayment(trx, event, livemode, applied.pays);
        outcome.invoiceId = applied.pays?.invoiceId ?? null;
        outcome.result = outcome.paid ? 'paid' : null;
        if (applied.mismatch) Object.assign(outcome, { result: 'mismatch', reason: applied.mismatch });
      }
      return { invoiceId: outcome.invoiceId, subscriptionId: outcome.subscriptionId, outcome: outcome.result, reason: outcome.reason };
    });
    if (once.duplicate) {
      const { logged } = once;
      Object.assign(outcome, {
        duplicate: true,
        subscriptionId: logged.subscriptionId,
        invoiceId: logged.invoiceId,
        result: logged.outcome,
        reason: logged.reason,
      });
    }
    if (outcome.paid)
      outcome.intents.push(
        await recordIntent(trx, { kind: 'order.payment_received', subjectId: outcome.paid.id, detail: { source: `paypal:${event.id}` } }),
      );
    if (outcome.subscriptionId)
      outcome.intents.push(
        await recordIntent(trx, {
          kind: 'subscription.changed',
          subjectId: outcome.subscriptionId,
          detail: { reason: `paypal:${event.eventType}` },
        }),
      );
    return outcome;
  });
}
