import type { DbExecutor } from '../db/schema';

/**
 * The invoice (or charge) a request with this Idempotency-Key already created in this store.
 * The key's stored answer can be lost after the invoice committed (the API died, or a 5xx on
 * the way out released the key); the client's retry then finds the invoice here instead of
 * creating a second one.
 */
export async function invoiceCreatedBy(trx: DbExecutor, storeId: number, requestKey: string | undefined): Promise<number | null> {
  if (!requestKey) return null;
  const row = await trx
    .selectFrom('invoices')
    .select('id')
    .where('store_id', '=', storeId)
    .where('request_key', '=', requestKey)
    .executeTakeFirst();
  return row?.id ?? null;
}
