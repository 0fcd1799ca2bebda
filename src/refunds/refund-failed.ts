import type { DbExecutor, RefundStatus } from '../db/schema';
import { recordEvent } from '../events/record';

/**
 * A refund the gateway refused or that failed there later: marked failed once, with why, and
 * `order.refund_failed` recorded in the same transaction (a retry or a redelivered report finds it
 * failed already and records nothing). `from` is the status it may fail from: a refund still
 * pending, or (Stripe's late failure of a refund it had answered succeeded) one that took effect.
 */
export async function failRefund(
  trx: DbExecutor,
  refundId: number,
  reason: string,
  from: readonly RefundStatus[] = ['pending'],
): Promise<boolean> {
  const failed = await trx
    .updateTable('refunds')
    .set({ status: 'failed', failure_reason: reason.slice(0, 500), updated_at: new Date() })
    .where('id', '=', refundId)
    .where('status', 'in', [...from])
    .returningAll()
    .executeTakeFirst();
  if (!failed) return false;
  await recordEvent(trx, {
    storeId: failed.store_id,
    livemode: failed.livemode,
    type: 'order.refund_failed',
    data: {
      id: failed.invoice_id,
      refund_id: failed.id,
      provider: failed.provider,
      provider_refund_id: failed.provider_refund_id,
      amount: failed.amount_cents,
      currency: failed.currency,
      line_items: failed.line_ids,
      reason: failed.reason,
      failure_reason: failed.failure_reason,
      // A refund that had taken effect took its goods back then; they are not handed back by this.
      consequences_applied: failed.consequences_at !== null,
    },
  });
  return true;
}
