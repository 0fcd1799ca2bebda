import type { Db } from '../db/schema';
import type { RefundStatus } from '../db/schema';
import type { StripeGateway } from '../gateways/stripe-gateway';
import type { SecretBox } from '../security/secret-box';
import { stripeSecretKey } from '../subscriptions/stripe-key';

/** Stripe's idempotency key for a refund: one per refund row, so every retry asks for the same refund. */
export const refundIdempotencyKey = (refund: { id: number; store_id: number }) => `sellflow-refund-${refund.store_id}-${refund.id}`;

/** A refund that no retry can make (no payment to refund, no key, Stripe refused it). */
export class RefundRefusedError extends Error {}

/**
 * Asks the gateway for a pending refund: Stripe through its SDK with the refund's idempotency
 * key; crypto and manual methods have no refund call, so the refund is marked for the seller to
 * pay out by hand. A refund no longer pending (a retry after the answer was recorded) is left.
 */
export async function sendRefund(
  deps: { db: Db; secrets: SecretBox; stripe: StripeGateway },
  refundId: number,
): Promise<Exclude<RefundStatus, 'pending'>> {
  const refund = await deps.db.selectFrom('refunds').selectAll().where('id', '=', refundId).executeTakeFirstOrThrow();
  if (refund.status !== 'pending') return refund.status;
  if (refund.provider === 'manual') {
    await deps.db
      .updateTable('refunds')
      .set({ status: 'manual', updated_at: new Date() })
      .where('id', '=', refund.id)
      .where('status', '=', 'pending')
      .execute();
    return 'manual';
  }
  if (!refund.provider_payment_id) throw new RefundRefusedError('The order has no Stripe payment to refund');
  let key: string;
  try {
    key = await stripeSecretKey(deps.db, deps.secrets, refund.store_id, refund.livemode);
  } catch (error) {
    throw new RefundRefusedError(error instanceof Error ? error.message : String(error));
  }
  const answer = await deps.stripe.refundPayment(key, {
    paymentIntentId: refund.provider_payment_id,
    amountCents: refund.amount_cents,
    idempotencyKey: refundIdempotencyKey(refund),
    metadata: { refund_id: String(refund.id), invoice_id: String(refund.invoice_id), store_id: String(refund.store_id) },
  });
  await deps.db
    .updateTable('refunds')
    .set({ status: 'succeeded', provider_refund_id: answer.refundId, updated_at: new Date() })
    .where('id', '=', refund.id)
    .where('status', '=', 'pending')
    .execute();
  return 'succeeded';
}

/** The gateway refused for good: the refund gave nothing back and takes nothing back. */
export async function markRefundFailed(db: Db, refundId: number, reason: string): Promise<void> {
  await db
    .updateTable('refunds')
    .set({ status: 'failed', failure_reason: reason.slice(0, 500), updated_at: new Date() })
    .where('id', '=', refundId)
    .where('status', '=', 'pending')
    .execute();
}
