import type { DbExecutor } from '../db/schema';

/**
 * Why a line's goods must no longer be handed over, or null: the order's money went back
 * (REFUNDED, or a dispute lost) or a refund took that line back. A delivery step still to run
 * (a retry, a slow first attempt) is skipped instead, so a refund racing a delivery never leaves
 * goods delivered after it.
 */
export async function goodsTakenBack(db: DbExecutor, invoiceId: number, lineId: number): Promise<string | null> {
  const invoice = await db.selectFrom('invoices').select('status').where('id', '=', invoiceId).executeTakeFirstOrThrow();
  if (invoice.status === 'REFUNDED' || invoice.status === 'REVERSED') return `the order is ${invoice.status}`;
  const refunds = await db
    .selectFrom('refunds')
    .select(['id', 'line_ids'])
    .where('invoice_id', '=', invoiceId)
    .where('status', '!=', 'failed')
    .execute();
  const refund = refunds.find((r) => r.line_ids.includes(lineId));
  return refund ? `line refunded by refund ${refund.id}` : null;
}
