import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // A charge is a lightweight invoice: same payment path and order workflow, no lines to deliver.
  await db.schema
    .alterTable('invoices')
    .addColumn('kind', 'text', (c) =>
      c
        .notNull()
        .defaultTo('INVOICE')
        .check(sql`kind in ('INVOICE', 'CHARGE')`),
    )
    .addColumn('charge', 'jsonb')
    .execute();
  await db.schema.createIndex('invoices_store_kind_idx').on('invoices').columns(['store_id', 'kind', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('invoices_store_kind_idx').execute();
  await db.schema.alterTable('invoices').dropColumn('charge').dropColumn('kind').execute();
}
