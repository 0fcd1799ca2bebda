import type { DbExecutor } from '../db/schema';
import type { InvoiceStatus } from '../domain/invoice-status';
import { recordIntent } from '../outbox/record-intent';

/**
 * A paid order's sale was refunded whole, disputed, or its dispute settled: its workflow, still
 * delivering or waiting on a failed step, must hear it (stop delivering, refuse a retry, go on
 * after a won dispute). Recorded in the transition's transaction; the relay tells it after commit.
 * A void tells the workflow itself (order.void_requested).
 */
export async function tellOrderOfSale(trx: DbExecutor, invoiceId: number, status: InvoiceStatus): Promise<void> {
  await recordIntent(trx, { kind: 'order.sale_changed', subjectId: invoiceId, detail: { status } });
}
