import type { DbExecutor } from '../db/schema';
import { recordEvent } from '../events/record';

/**
 * Flags an order for a person: the reason stays on the invoice (the console, /ops/stuck-orders
 * and `sellflow orders stuck` say why) and `delivery.needs_attention` goes out, which ops
 * notifications listen for. Runs in the caller's transaction, with the invoice row locked.
 */
export async function flagInvoiceForAttention(trx: DbExecutor, invoiceId: number, reason: string): Promise<void> {
  const invoice = await trx
    .selectFrom('invoices')
    .select(['store_id', 'livemode'])
    .where('id', '=', invoiceId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  await trx
    .updateTable('invoices')
    .set({ needs_attention: true, attention_reason: reason, updated_at: new Date() })
    .where('id', '=', invoiceId)
    .execute();
  await recordEvent(trx, {
    storeId: invoice.store_id,
    livemode: invoice.livemode,
    type: 'delivery.needs_attention',
    data: { id: invoiceId, reason },
  });
}
