import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // One row per refund asked for (API) or found (Stripe dashboard): the refund workflow moves it
  // from pending to succeeded / manual / failed, and its consequences run once (consequences_at).
  await db.schema
    .createTable('refunds')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('livemode', 'boolean', (c) => c.notNull())
    .addColumn('invoice_id', 'integer', (c) => c.notNull().references('invoices.id'))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('manual', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('amount_cents', 'integer', (c) => c.notNull().check(sql`amount_cents > 0`))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('line_ids', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('provider_payment_id', 'text')
    .addColumn('provider_refund_id', 'text')
    .addColumn('failure_reason', 'text')
    .addColumn('request_key', 'text')
    .addColumn('consequences_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('refunds_invoice_idx').on('refunds').column('invoice_id').execute();
  await db.schema.createIndex('refunds_store_idx').on('refunds').columns(['store_id', 'livemode', 'id']).execute();
  // A retried POST with the same Idempotency-Key finds its refund instead of making a second one.
  await sql`create unique index refunds_request_key_uq on refunds (store_id, request_key) where request_key is not null`.execute(db);

  // A dispute (chargeback) the gateway reported, kept in step with its events.
  await db.schema
    .createTable('disputes')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('livemode', 'boolean', (c) => c.notNull())
    .addColumn('invoice_id', 'integer', (c) => c.notNull().references('invoices.id'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('provider_dispute_id', 'text', (c) => c.notNull())
    .addColumn('amount_cents', 'integer', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('provider_status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('closed_at', 'timestamptz')
    .addUniqueConstraint('disputes_provider_dispute_uq', ['provider', 'provider_dispute_id'])
    .execute();
  await db.schema.createIndex('disputes_store_idx').on('disputes').columns(['store_id', 'livemode', 'created_at']).execute();
}
