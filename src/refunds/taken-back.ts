import type { DbExecutor } from '../db/schema';
import { EFFECTIVE_REFUND_STATUSES } from './refunded-lines';

/**
 * A line's delivery meets a refund of that line still asking the gateway: the step waits (a
 * retryable failure) until the refund settles, so goods are never handed over while a refund
 * of them may still go through, and never held back by a refund the gateway then refuses.
 */
export class RefundPendingError extends Error {}

/**
 * A line's delivery meets an open dispute of its order (DISPUTING, committed before the order's
 * workflow heard of it): nothing is handed over while the payment may still be taken back. Not
 * retried: the workflow keeps the step pending and waits for the dispute (see workflows/order.ts).
 */
export class DisputeHoldError extends Error {}

/**
 * Why a line's goods must no longer be handed over, or null: the order's money went back
 * (REFUNDED, or a dispute lost) or a refund that went through (or is paid out by hand) took that
 * line back. A delivery step still to run (a retry, a slow first attempt) is skipped instead, so a
 * refund racing a delivery never leaves goods delivered after it. A refund of the line still
 * pending throws RefundPendingError: the step is tried again once the gateway has answered. An
 * open dispute of the order throws DisputeHoldError.
 */
export async function goodsTakenBack(db: DbExecutor, invoiceId: number, lineId: number): Promise<string | null> {
  const invoice = await db.selectFrom('invoices').select('status').where('id', '=', invoiceId).executeTakeFirstOrThrow();
  if (invoice.status === 'REFUNDED' || invoice.status === 'REVERSED') return `the order is ${invoice.status}`;
  const refunds = await db
    .selectFrom('refunds')
    .select(['id', 'line_ids', 'status'])
    .where('invoice_id', '=', invoiceId)
    .where('status', 'in', [...EFFECTIVE_REFUND_STATUSES, 'pending'])
    .orderBy('id')
    .execute();
  const ofLine = refunds.filter((r) => r.line_ids.includes(lineId));
  const taken = ofLine.find((r) => r.status !== 'pending');
  if (taken) return `line refunded by refund ${taken.id}`;
  if (invoice.status === 'DISPUTING') throw new DisputeHoldError('the order is disputed: delivery waits for the dispute');
  const pending = ofLine.find((r) => r.status === 'pending');
  if (pending) throw new RefundPendingError(`refund ${pending.id} of this line is still pending: delivery waits for it`);
  return null;
}
