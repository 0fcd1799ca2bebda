import { blacklistDisputingCustomer } from '../blacklists/blacklist-on-dispute';
import type { DbExecutor } from '../db/schema';
import { recordEvent } from '../events/record';
import { subscriptionPaymentOf } from '../refunds/subscription-payment-refund';
import { type ReportedDispute, upsertDisputeRow } from './apply-dispute';

export type RenewalDisputeResult =
  { matched: false } | { matched: true; invoiceId: number; subscriptionId: number; livemode: boolean; reason: string | null };

/**
 * A dispute of one of a subscription's renewals (Stripe's PaymentIntent or the Stripe invoice it
 * paid, PayPal's sale): the renewal's money is not the order's, so it does what a refund of that
 * renewal does, plus what a dispute itself asks of the store:
 * - the dispute's row (on the subscription's order, in /v2/disputes) kept in step;
 * - opened: `order.disputed` naming the subscription and its payment, and the customer
 *   blacklisted when the store says so;
 * - each new status (won, lost, closed, …): `order.disputed` with it, once;
 * - the order keeps its status, the subscription, its period and access go on: ending it is the
 *   seller's cancel, as after a refund of a renewal.
 * The first payment is the order's money and goes through applyDispute; callers try that first.
 */
export async function applyRenewalDispute(
  trx: DbExecutor,
  storeId: number,
  livemode: boolean,
  ids: string[],
  dispute: ReportedDispute & { provider: 'stripe' | 'paypal' },
): Promise<RenewalDisputeResult> {
  const found = await subscriptionPaymentOf(trx, storeId, dispute.provider, ids);
  if (!found) return { matched: false };
  const matched = { matched: true as const, invoiceId: found.invoice_id, subscriptionId: found.subscription_id, livemode: found.livemode };
  const mode = (live: boolean) => (live ? 'live' : 'test');
  if (livemode !== found.livemode)
    return { ...matched, reason: `a ${mode(livemode)}-mode dispute of a ${mode(found.livemode)}-mode subscription` };
  const invoice = await trx
    .selectFrom('invoices')
    .select(['id', 'store_id', 'livemode', 'currency'])
    .where('id', '=', found.invoice_id)
    .executeTakeFirstOrThrow();
  const payment = await trx
    .selectFrom('subscription_payments')
    .select(['id', 'amount_cents', 'currency'])
    .where('id', '=', found.id)
    .executeTakeFirstOrThrow();
  const sameCurrency = !dispute.currency || dispute.currency.toUpperCase() === payment.currency;
  const { row, amount, previousStatus } = await upsertDisputeRow(
    trx,
    { ...invoice, total_cents: payment.amount_cents },
    { ...dispute, amountCents: sameCurrency ? dispute.amountCents : null, currency: payment.currency },
  );

  if (previousStatus === dispute.status) return { ...matched, reason: 'the dispute was recorded already' };
  await recordEvent(trx, {
    storeId: invoice.store_id,
    livemode: invoice.livemode,
    type: 'order.disputed',
    data: {
      id: invoice.id,
      subscription_id: found.subscription_id,
      subscription_payment_id: payment.id,
      dispute_status: dispute.status,
      dispute_id: row.id,
      provider_dispute_id: dispute.providerDisputeId,
      amount,
      currency: payment.currency,
    },
  });
  if (previousStatus === null) await blacklistDisputingCustomer(trx, invoice.id);
  return { ...matched, reason: null };
}
