import type { DbExecutor } from '../db/schema';
import type { RefundStatus } from '../db/schema';

/** Refunds whose money went back (the gateway's, or one recorded for the seller to pay by hand). */
export const EFFECTIVE_REFUND_STATUSES: readonly RefundStatus[] = ['succeeded', 'manual'];

/** The lines of these invoices that a refund took back whole (`line_items`): the spec shows them REFUNDED. */
export async function refundedLineIds(db: DbExecutor, invoiceIds: number[]): Promise<Set<number>> {
  if (invoiceIds.length === 0) return new Set();
  const refunds = await db
    .selectFrom('refunds')
    .select('line_ids')
    .where('invoice_id', 'in', invoiceIds)
    .where('status', 'in', EFFECTIVE_REFUND_STATUSES)
    .execute();
  return new Set(refunds.flatMap((r) => r.line_ids));
}
