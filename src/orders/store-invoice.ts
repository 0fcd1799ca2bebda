import type { Db } from '../db/schema';

/** One of a store's invoices (never a charge), as the order actions need it; undefined when the store has no such invoice. */
export async function findStoreInvoice(db: Db, storeId: number, id: number) {
  return db
    .selectFrom('invoices')
    .select([
      'id',
      'store_id',
      'status',
      'expires_at',
      'total_cents',
      'payment_method',
      'livemode',
      'currency',
      'customer_email',
      'needs_attention',
    ])
    .where('id', '=', id)
    .where('store_id', '=', storeId)
    .where('kind', '=', 'INVOICE')
    .executeTakeFirst();
}

export type StoreInvoice = NonNullable<Awaited<ReturnType<typeof findStoreInvoice>>>;
