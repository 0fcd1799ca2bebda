import type { DbExecutor } from '../db/schema';
import { recordEvent } from '../events/record';
import { commitAndTell, type EngineConnection } from '../outbox/engine-intents';
import { transitionInvoice } from './invoice-transitions';
import { refuseWhileCapturing } from './paypal-capture-claim';

/**
 * A paid order reaches its workflow; the database transition is the single gate. The
 * signal is owed in the same transaction (engine outbox): a crash after the commit leaves
 * it to the relay, never a paid order nobody delivers.
 */
export async function markInvoicePaid(engine: EngineConnection, invoice: { id: number; status: string }, source: string): Promise<void> {
  await commitAndTell(engine, async (trx) => {
    // Marked paid by hand while PayPal may be taking the money: the seller hears PayPal's answer first.
    if (source === 'manual') await refuseWhileCapturing(trx, invoice.id);
    const result = await transitionInvoice(trx, invoice.id, 'PAID', {
      event: 'order.paid',
      also: { paid_at: new Date() },
      quiet: invoice.status === 'COMPLETED',
    });
    // Only the call that moved it: a second click, or an order already paid, records nothing.
    if (source === 'manual' && result.changed) await recordManualPaymentCompleted(trx, invoice.id);
    // Also when it was already PAID: a signal lost on the first call arrives now; a duplicate is harmless.
    const paid = result.status === 'PAID';
    return { value: result, intents: paid ? [{ kind: 'order.payment_received' as const, subjectId: invoice.id, detail: { source } }] : [] };
  });
}

/** The spec's `order.manual_payment_completed`, with the method the seller confirmed. */
async function recordManualPaymentCompleted(trx: DbExecutor, invoiceId: number): Promise<void> {
  const invoice = await trx
    .selectFrom('invoices')
    .select(['store_id', 'livemode', 'payment_method', 'custom_payment_method_id'])
    .where('id', '=', invoiceId)
    .executeTakeFirstOrThrow();
  await recordEvent(trx, {
    storeId: invoice.store_id,
    livemode: invoice.livemode,
    type: 'order.manual_payment_completed',
    data: {
      id: invoiceId,
      status: 'PAID',
      payment_method: invoice.payment_method,
      custom_payment_method_id: invoice.custom_payment_method_id,
    },
  });
}
