import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';
import { recordEvent } from '../events/record';
import type { StripeGatewayRecord } from '../orders/stripe-checkout-record';
import { applyDashboardRefund, insertDashboardRefund } from './reported-refund';

/** A provider's report of a refund of one of a subscription's payments (its first or a renewal). */
export interface ReportedPaymentRefund {
  provider: 'stripe' | 'paypal';
  /** The payment refunded as we recorded it: Stripe's PaymentIntent, PayPal's sale. */
  providerPaymentId: string;
  /** The Stripe invoice Stripe says that PaymentIntent paid, when we did not record the PaymentIntent. */
  providerInvoiceId?: string | null;
  providerRefundId: string | null;
  currency: string;
  /**
   * What the provider says went back: its running total on the payment (Stripe's amount_refunded,
   * PayPal's total_refunded_amount), or only this refund's amount when it gives no total.
   */
  refunded: { kind: 'total' | 'this_refund'; cents: number };
}

export type PaymentRefundResult =
  | { matched: false }
  | {
      matched: true;
      subscriptionId: number;
      invoiceId: number;
      livemode: boolean;
      /** Money newly recorded as refunded (0: our own refunds, or this refund already, account for it). */
      recordedCents: number;
      reason: string | null;
    };

/** The subscription payment the provider's ids name (payment, or the invoice it paid), with its subscription, in this store. */
export async function subscriptionPaymentOf(trx: DbExecutor, storeId: number, provider: string, ids: string[]) {
  return trx
    .selectFrom('subscription_payments as p')
    .innerJoin('subscriptions as s', 's.id', 'p.subscription_id')
    .select(['p.id', 's.id as subscription_id', 's.invoice_id', 's.livemode'])
    .where('s.store_id', '=', storeId)
    .where('s.provider', '=', provider)
    .where((eb) => eb.or([eb('p.provider_payment_intent_id', 'in', ids), eb('p.provider_invoice_id', 'in', ids)]))
    .orderBy('p.id')
    .executeTakeFirst();
}

/**
 * A refund the provider reports for a subscription's payment, recorded once, with what our own
 * refund of that payment sets off:
 * - the part no refund of ours accounts for (the cancel's refund of the last payment, recorded on
 *   the payment or still on its way to the provider; for the first payment also the order's
 *   refunds through the API) is added to the payment's `refunded_cents` with the provider's
 *   refund id, and `order.refunded` names the subscription, as our cancel's refund does;
 * - the first payment is the order's money: the part is also a refund row of the order (source:
 *   the provider) and does to the order what a dashboard refund of a one-off order does (all of
 *   it back: REFUNDED, which ends the subscription, as our full refund of the order does);
 * - a renewal's refund takes nothing else back: the subscription, its period and access go on,
 *   as they do after our refund of a renewal (which only the seller's cancel ends).
 * A redelivery, or our own refund reported back, records nothing more.
 */
export async function recordSubscriptionPaymentRefund(
  trx: DbExecutor,
  storeId: number,
  livemode: boolean,
  report: ReportedPaymentRefund,
): Promise<PaymentRefundResult> {
  const ids = [report.providerPaymentId, ...(report.providerInvoiceId ? [report.providerInvoiceId] : [])];
  const found = await subscriptionPaymentOf(trx, storeId, report.provider, ids);
  if (!found) return { matched: false };
  const matched = { matched: true as const, subscriptionId: found.subscription_id, invoiceId: found.invoice_id, livemode: found.livemode };
  const mode = (live: boolean) => (live ? 'live' : 'test');
  if (livemode !== found.livemode)
    return { ...matched, recordedCents: 0, reason: `a ${mode(livemode)}-mode refund of a ${mode(found.livemode)}-mode subscription` };

  // The one lock order: the order, then the subscription, then its payment.
  const invoice = await trx
    .selectFrom('invoices')
    .select(['id', 'store_id', 'livemode', 'currency', 'gateway'])
    .where('id', '=', found.invoice_id)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const subscription = await trx
    .selectFrom('subscriptions')
    .select(['cancel_request', 'cancel_request_sent_at'])
    .where('id', '=', found.subscription_id)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const payment = await trx
    .selectFrom('subscription_payments')
    .selectAll()
    .where('id', '=', found.id)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (report.currency.toUpperCase() !== payment.currency)
    return { ...matched, recordedCents: 0, reason: `refunded in ${report.currency}, the payment was in ${payment.currency}` };

  const paidWith = (invoice.gateway as StripeGatewayRecord | null)?.data?.transaction_id;
  const first = paidWith !== undefined && (paidWith === payment.provider_invoice_id || paidWith === payment.provider_payment_intent_id);
  // Without a running total, only the refund's id tells a refund recorded already from a new one.
  const known =
    report.refunded.kind === 'this_refund' &&
    report.providerRefundId !== null &&
    (payment.provider_refund_id === report.providerRefundId ||
      (await trx
        .selectFrom('refunds')
        .select('id')
        .where('invoice_id', '=', invoice.id)
        .where('provider_refund_id', '=', report.providerRefundId)
        .executeTakeFirst()) !== undefined);
  if (known) return { ...matched, recordedCents: 0, reason: 'this refund is recorded already' };

  // Ours: what is recorded on the payment, the order's own refunds (first payment), and the
  // cancel's refund of this payment while it is being sent (the provider may report it first).
  const orderRefunds = first
    ? Number(
        (
          await trx
            .selectFrom('refunds')
            .select(sql<string>`coalesce(sum(amount_cents), 0)`.as('cents'))
            .where('invoice_id', '=', invoice.id)
            .where('source', '=', 'api')
            .where('status', '!=', 'failed')
            .executeTakeFirstOrThrow()
        ).cents,
      )
    : 0;
  const cancel = subscription.cancel_request;
  const sending =
    cancel &&
    !cancel.at_period_end &&
    cancel.refund_payment_id === payment.id &&
    !subscription.cancel_request_sent_at &&
    !payment.provider_refund_id
      ? cancel.refund_cents
      : 0;
  const recorded = payment.refunded_cents + orderRefunds;
  const total = report.refunded.kind === 'total' ? report.refunded.cents : recorded + report.refunded.cents;
  const extra = Math.min(total, payment.amount_cents) - recorded - sending;
  if (extra <= 0) return { ...matched, recordedCents: 0, reason: 'the refunds made through Sellflow account for it' };

  const refundedOnPayment = payment.refunded_cents + extra;
  await trx
    .updateTable('subscription_payments')
    .set({
      refunded_cents: refundedOnPayment,
      provider_refund_id: report.providerRefundId ?? payment.provider_refund_id,
      // Found through the invoice it paid: the payment is known by its own id from now on.
      provider_payment_intent_id: payment.provider_payment_intent_id ?? report.providerPaymentId,
    })
    .where('id', '=', payment.id)
    .execute();
  const totalRefunded = recorded + extra;
  const partial = totalRefunded < payment.amount_cents;
  if (first) {
    const dashboard = {
      provider: report.provider,
      totalRefundedCents: totalRefunded,
      providerPaymentId: report.providerPaymentId,
      providerRefundId: report.providerRefundId,
    };
    await insertDashboardRefund(trx, invoice, dashboard, extra);
    await applyDashboardRefund(trx, invoice, {
      totalRefundedCents: totalRefunded,
      currency: payment.currency,
      full: !partial,
      also: { subscription_id: found.subscription_id },
    });
  } else {
    await recordEvent(trx, {
      storeId: invoice.store_id,
      livemode: invoice.livemode,
      type: 'order.refunded',
      data: {
        id: invoice.id,
        subscription_id: found.subscription_id,
        amount_refunded: totalRefunded,
        currency: payment.currency,
        partial,
      },
    });
  }
  return { ...matched, recordedCents: extra, reason: null };
}
