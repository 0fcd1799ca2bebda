import type { DbExecutor } from '../db/schema';
import { CUSTOM_REVIEW_ATTENTION } from '../domain/custom-payment-method';

/**
 * The seller's review of a custom payment: while it waits the order is flagged (the console,
 * /ops/stuck-orders and `sellflow orders stuck` show why); completing or voiding it clears the flag.
 */
export const reviewReason = (methodName: string, proof: boolean) =>
  `${CUSTOM_REVIEW_ATTENTION}: ${proof ? 'proof of payment submitted' : 'no proof asked'} for ${methodName}; confirm the payment, then mark the order completed or void it`;

/** In the caller's transaction, the invoice row locked. */
export async function flagForReview(trx: DbExecutor, invoiceId: number, reason: string): Promise<void> {
  await trx
    .updateTable('invoices')
    .set({ needs_attention: true, attention_reason: reason, updated_at: new Date() })
    .where('id', '=', invoiceId)
    .execute();
}

/** Only the review's own flag: a delivery that fails later flags the order again by its own reason. */
export async function clearReviewFlag(trx: DbExecutor, invoiceId: number): Promise<void> {
  await trx
    .updateTable('invoices')
    .set({ needs_attention: false, attention_reason: null, updated_at: new Date() })
    .where('id', '=', invoiceId)
    .where('attention_reason', 'like', `${CUSTOM_REVIEW_ATTENTION}%`)
    .execute();
}
