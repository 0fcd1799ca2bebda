import { sql } from 'kysely';
import type { Db } from '../db/schema';

/** The ids of a store's events about one order (`order.*`, whose data names the invoice): a subquery. */
export function orderEventIds(db: Db, storeId: number, invoiceId: number) {
  return db
    .selectFrom('events')
    .select('id')
    .where('store_id', '=', storeId)
    .where(sql<string>`data->>'id'`, '=', String(invoiceId))
    .where('type', 'like', 'order.%');
}
