import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // A run a store's key starts covers that store only; the daily scheduled run (null) covers all.
  await db.schema
    .alterTable('subscription_reconciliations')
    .addColumn('store_id', 'integer', (c) => c.references('stores.id'))
    .execute();
  await db.schema.createIndex('subscription_reconciliations_store_idx').on('subscription_reconciliations').column('store_id').execute();
}
