import type Stripe from 'stripe';
import type { DbTransaction } from '../db/schema';
import { isStripeInvoiceId } from '../gateways/stripe-gateway';
import { lockGatewayRefundOfOurs } from './gateway-refund-of-ours';
import { applyRefundConsequences } from './refund-consequences';
import { failRefund } from './refund-failed';

export interface StripeRefundUpdate {
  invoiceId: number | null;
  /** refunded: it took effect now; refund_failed: it failed, nothing taken back now; ignored: see reason. */
  result: 'refunded' | 'refund_failed' | 'ignored';
  reason: string | null;
}

const idOf = (value: string | { id: string } | null | undefined) => (typeof value === 'string' ? value : (value?.id ?? null));

/**
 * Stripe's later word on one of our refunds (`charge.refund.updated`, `refund.updated`,
 * `refund.failed`), under the refund's row lock: a refund Stripe answered `pending` takes effect
 * when it says `succeeded` (its consequences run then, once, in this transaction), and is marked
 * failed with `order.refund_failed` when it says `failed` or `canceled`, nothing taken back. A
 * refund that had succeeded and fails later is marked failed too (the goods it took back stay
 * taken; the event says so). Any other word, a refund already settled that way, or a refund not
 * ours (the metadata we set names it, or Stripe's refund id we recorded) changes nothing.
 */
export async function applyStripeRefundUpdate(
  trx: DbTransaction,
  storeId: number,
  event: Stripe.Event,
  refund: Stripe.Refund,
): Promise<StripeRefundUpdate> {
  const row = await lockGatewayRefundOfOurs(trx, {
    provider: 'stripe',
    storeId,
    providerRefundId: refund.id,
    sentId: refund.metadata?.refund_id,
  });
  if (!row) return { invoiceId: null, result: 'ignored', reason: `refund ${refund.id} is none of ours` };
  const ignored = (reason: string): StripeRefundUpdate => ({ invoiceId: row.invoice_id, result: 'ignored', reason });
  if (row.provider_refund_id !== null && row.provider_refund_id !== refund.id)
    return ignored(`refund ${row.id} is Stripe's ${row.provider_refund_id}, not ${refund.id}`);
  if (row.livemode !== event.livemode) return ignored(`a ${event.livemode ? 'live' : 'test'}-mode event for a refund of the other mode`);
  const intent = idOf(refund.payment_intent);
  const paidWith = row.provider_payment_id;
  // A subscription's order records the Stripe invoice its PaymentIntent paid: only a PaymentIntent compares.
  if (intent && paidWith && !isStripeInvoiceId(paidWith) && intent !== paidWith)
    return ignored(`refund ${refund.id} refunds ${intent}, refund ${row.id} was of ${paidWith}`);

  switch (refund.status) {
    case 'succeeded': {
      if (row.status === 'pending') {
        await trx
          .updateTable('refunds')
          .set({ status: 'succeeded', provider_refund_id: refund.id, updated_at: new Date() })
          .where('id', '=', row.id)
          .execute();
      } else if (row.status !== 'succeeded') return ignored(`refund ${row.id} is ${row.status} already`);
      // Runs once: a refund whose consequences ran (the workflow's, or an earlier event's) is left.
      const extent = await applyRefundConsequences(trx, row.id);
      return extent ? { invoiceId: row.invoice_id, result: 'refunded', reason: null } : ignored(`refund ${row.id} took effect already`);
    }
    case 'failed':
    case 'canceled': {
      const why = `Stripe ${refund.status} refund ${refund.id}${refund.failure_reason ? `: ${refund.failure_reason}` : ''}`;
      const failed = await failRefund(trx, row.id, why, ['pending', 'succeeded']);
      return failed
        ? { invoiceId: row.invoice_id, result: 'refund_failed', reason: why }
        : ignored(`refund ${row.id} is ${row.status} already`);
    }
    default:
      return ignored(`refund ${refund.id} is ${refund.status ?? 'without a status'}`);
  }
}
