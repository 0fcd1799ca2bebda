import { type InvoiceStatus, isAwaitingPayment } from '../domain/invoice-status';
import type { EngineIntent } from '../outbox/record-intent';
import { paypalOrdersOf } from './paypal-order-record';

/**
 * The buyer approved a PayPal order (they came back from PayPal, or PayPal said so): when it is
 * one our checkout created for the invoice and the invoice still waits for its money, its capture
 * is owed. Both news owe the same capture workflow (one id per invoice): whichever is told first
 * starts it, the other is refused, so the buyer is charged once.
 */
export function paypalApproved(
  invoice: { id: number; status: string; gateway: unknown },
  orderId: string,
): { intent: EngineIntent | null; reason: string | null } {
  if (!paypalOrdersOf(invoice.gateway).includes(orderId))
    return { intent: null, reason: `PayPal order ${orderId} is not one this invoice's checkout created` };
  if (!isAwaitingPayment(invoice.status as InvoiceStatus)) return { intent: null, reason: `the invoice is ${invoice.status}` };
  return { intent: { kind: 'paypal.capture', subjectId: invoice.id, detail: { order_id: orderId } }, reason: null };
}
