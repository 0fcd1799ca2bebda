import type { InvoiceStatus } from '../domain/invoice-status';
import type { EngineConnection } from '../outbox/engine-intents';
import { InvoiceStatusChangedError, InvoiceStatusConflictError } from './errors';
import { restoreDisputedInvoice, transitionInvoice } from './invoice-transitions';
import { markInvoicePaid } from './mark-paid';
import { type StuckOrderRef, voidOrder } from './order-ops';

/** The statuses a seller may set by hand (PATCH …/status). */
export const SETTABLE_STATUSES = ['COMPLETED', 'VOIDED', 'REVIEW', 'DISPUTING'] as const;
export type SettableStatus = (typeof SETTABLE_STATUSES)[number];

/**
 * A seller's status change, through the services that already own each move: COMPLETED is the
 * manual completion (paid, then delivered by the order workflow), or for a disputed order the
 * dispute won (back to the status it took: PAID while still delivering, else COMPLETED); VOIDED
 * the void; REVIEW and a dispute go through the status table. With `expected`, the change
 * happens only if the invoice still has that status.
 */
export async function updateInvoiceStatus(
  engine: EngineConnection,
  invoice: StuckOrderRef,
  to: SettableStatus,
  expected?: InvoiceStatus | null,
): Promise<void> {
  const current = invoice.status as InvoiceStatus;
  if (expected && expected !== current) throw new InvoiceStatusChangedError(current, expected);
  if (to === 'VOIDED') return voidOrder(engine, invoice);
  if (to === 'COMPLETED' && current !== 'DISPUTING') return markInvoicePaid(engine, invoice, 'manual');
  if (to === 'COMPLETED') {
    const restored = await engine.db.transaction().execute((trx) => restoreDisputedInvoice(trx, invoice.id));
    // The dispute settled otherwise meanwhile (lost, refunded): the seller's move no longer applies.
    if (!restored.changed) throw new InvoiceStatusConflictError(restored.status, 'COMPLETED');
    return;
  }
  await engine.db
    .transaction()
    .execute((trx) => transitionInvoice(trx, invoice.id, to, to === 'DISPUTING' ? { event: 'order.disputed' } : {}));
}
