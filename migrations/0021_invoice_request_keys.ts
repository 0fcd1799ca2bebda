import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The Idempotency-Key (per API key) of the request that created an invoice, committed with
  // the invoice itself: a retry whose first answer was lost (a crash after the commit, a 5xx
  // on the way out) finds this invoice instead of creating another.
  await db.schema.alterTable('invoices').addColumn('request_key', 'text').execute();
  await sql`create unique index invoices_request_key_uq on invoices (store_id, request_key) where request_key is not null`.execute(db);
}
