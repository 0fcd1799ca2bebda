import type { DbExecutor, SubscriptionCancelRequest } from '../db/schema';
import { proratedRefundCents } from '../domain/proration';
import { hasEnded } from '../domain/subscription-lifecycle';
import { recordEvent } from '../events/record';
import { SubscriptionConflictError, SubscriptionRuleError } from './errors';

export interface CancelRequest {
  cancelAtPeriodEnd: boolean;
  refundLastPayment?: boolean;
  proRatedRefund?: boolean;
}

export interface CancelOutcome {
  message: string;
  refundCents: number;
}

/**
 * Records the seller's cancellation; the subscription workflow carries it to the provider.
 * The refund is fixed now, from the last payment and this moment, so a retried provider
 * call refunds the same amount. Scheduling twice is a no-op; an immediate cancel may follow
 * a scheduled one.
 */
export async function requestCancellation(
  trx: DbExecutor,
  subscriptionId: number,
  request: CancelRequest,
  now = new Date(),
): Promise<CancelOutcome> {
  if (request.cancelAtPeriodEnd && (request.refundLastPayment || request.proRatedRefund)) {
    throw new SubscriptionRuleError(
      'refund_not_allowed',
      'Refunds are only for immediate cancellations (cancel_at_period_end: false)',
      request.refundLastPayment ? 'refund_last_payment' : 'pro_rated_refund',
    );
  }
  if (request.proRatedRefund && !request.refundLastPayment) {
    throw new SubscriptionRuleError('refund_not_requested', 'pro_rated_refund needs refund_last_payment: true', 'pro_rated_refund');
  }
  const row = await trx.selectFrom('subscriptions').selectAll().where('id', '=', subscriptionId).forUpdate().executeTakeFirstOrThrow();
  if (hasEnded(row.status))
    throw new SubscriptionConflictError('invalid_status', `The subscription is ${row.status}: there is nothing left to cancel`);
  if (row.cancellation_in_progress)
    throw new SubscriptionConflictError('cancellation_in_progress', 'The subscription is already being canceled');

  if (request.cancelAtPeriodEnd) {
    if (!row.cancel_at_period_end) {
      const cancel: SubscriptionCancelRequest = {
        at_period_end: true,
        refund_cents: 0,
        refund_payment_id: null,
        requested_at: now.toISOString(),
      };
      await trx
        .updateTable('subscriptions')
        .set({ cancel_at_period_end: true, cancel_request: JSON.stringify(cancel), cancel_request_sent_at: null, updated_at: now })
        .where('id', '=', row.id)
        .execute();
      await recordEvent(trx, {
        storeId: row.store_id,
        livemode: row.livemode,
        type: 'subscription.updated',
        data: { id: row.id, invoice_id: row.invoice_id, reason: 'cancel_scheduled' },
      });
    }
    return { message: 'Subscription will be cancelled at the end of the current period.', refundCents: 0 };
  }

  let refundCents = 0;
  let refundPaymentId: number | null = null;
  if (request.refundLastPayment) {
    const last = await trx
      .selectFrom('subscription_payments')
      .selectAll()
      .where('subscription_id', '=', row.id)
      .orderBy('period_end', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    if (!last)
      throw new SubscriptionRuleError(
        'no_payment_to_refund',
        'No payment of this subscription has been recorded yet',
        'refund_last_payment',
      );
    if (last.provider_refund_id)
      throw new SubscriptionRuleError('already_refunded', 'The last payment has already been refunded', 'refund_last_payment');
    refundCents = request.proRatedRefund
      ? proratedRefundCents(last.amount_cents, last.period_start, last.period_end, now)
      : last.amount_cents;
    refundPaymentId = last.id;
  }
  const cancel: SubscriptionCancelRequest = {
    at_period_end: false,
    refund_cents: refundCents,
    refund_payment_id: refundPaymentId,
    requested_at: now.toISOString(),
  };
  await trx
    .updateTable('subscriptions')
    .set({ cancellation_in_progress: true, cancel_request: JSON.stringify(cancel), cancel_request_sent_at: null, updated_at: now })
    .where('id', '=', row.id)
    .execute();
  await recordEvent(trx, {
    storeId: row.store_id,
    livemode: row.livemode,
    type: 'subscription.updated',
    data: { id: row.id, invoice_id: row.invoice_id, reason: 'cancel_requested', refund_cents: refundCents },
  });
  const refund =
    refundCents > 0
      ? ` ${request.proRatedRefund ? 'A pro-rated' : 'A full'} refund of the last payment (${refundCents} cents) follows.`
      : '';
  return { message: `Subscription is being cancelled now.${refund}`, refundCents };
}
