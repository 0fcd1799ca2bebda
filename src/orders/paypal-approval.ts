import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';
import { type InvoiceStatus, isAwaitingPayment } from '../domain/invoice-status';
import type { EngineIntent } from '../outbox/record-intent';
import { type PaypalGatewayRecord, paypalOrdersOf } from './paypal-order-record';

/**
 * The buyer approved a PayPal order (they came back from PayPal, or PayPal said so): when it is
 * one our checkout created for the invoice and the invoice still waits for its money, its capture
 * is owed. Both news owe the same capture workflow (one id per invoice): whichever is told first
 * starts it, the other is refused, so the buyer is charged once. The capture owed is marked on the
 * invoice (in the caller's transaction, under its row lock) so the expiry sweep leaves it alone:
 * a capture PayPal is slow to answer must not find the order voided when it takes the money.
 */
export async function paypalApproved(
  trx: DbExecutor,
  invoice: { id: number; status: string; gateway: unknown },
  orderId: string,
): Promise<{ intent: EngineIntent | null; reason: string | null }> {
  if (!paypalOrdersOf(invoice.gateway).includes(orderId))
    return { intent: null, reason: `PayPal order ${orderId} is not one this invoice's checkout created` };
  if (!isAwaitingPayment(invoice.status as InvoiceStatus)) return { intent: null, reason: `the invoice is ${invoice.status}` };
  // Captured already (pending at PayPal): the capture's own news finishes it, nothing more is owed.
  if ((invoice.gateway as PaypalGatewayRecord | null)?.data?.transaction_id)
    return { intent: null, reason: 'PayPal captured this order already' };
  await markCaptureOwed(trx, invoice.id, orderId);
  return { intent: { kind: 'paypal.capture', subjectId: invoice.id, detail: { order_id: orderId } }, reason: null };
}

/** The approved order whose capture is owed: the expiry sweep skips the invoice while it is set. */
async function markCaptureOwed(trx: DbExecutor, invoiceId: number, orderId: string): Promise<void> {
  await trx
    .updateTable('invoices')
    .set({ gateway: sql`gateway || jsonb_build_object('capture_owed', ${orderId}::text)`, updated_at: new Date() })
    .where('id', '=', invoiceId)
    .execute();
}

/** The capture ended (it answered, or failed for good): the invoice's window applies again. */
export async function clearCaptureOwed(trx: DbExecutor, invoiceId: number): Promise<void> {
  await trx
    .updateTable('invoices')
    .set({ gateway: sql`gateway - 'capture_owed'`, updated_at: new Date() })
    .where('id', '=', invoiceId)
    .execute();
}
