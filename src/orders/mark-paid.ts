import { commitAndTell, type EngineConnection } from '../outbox/engine-intents';
import { transitionInvoice } from './invoice-transitions';

/**
 * A paid order reaches its workflow; the database transition is the single gate. The
 * signal is owed in the same transaction (engine outbox): a crash after the commit leaves
 * it to the relay, never a paid order nobody delivers.
 */
export async function markInvoicePaid(engine: EngineConnection, invoice: { id: number; status: string }, source: string): Promise<void> {
  await commitAndTell(engine, async (trx) => {
    const result = await transitionInvoice(trx, invoice.id, 'PAID', {
      event: 'order.paid',
      also: { paid_at: new Date() },
      quiet: invoice.status === 'COMPLETED',
    });
    // Also when it was already PAID: a signal lost on the first call arrives now; a duplicate is harmless.
    const paid = result.status === 'PAID';
    return { value: result, intents: paid ? [{ kind: 'order.payment_received' as const, subjectId: invoice.id, detail: { source } }] : [] };
  });
}
