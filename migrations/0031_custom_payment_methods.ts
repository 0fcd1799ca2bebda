import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // A store's own payment methods: instructions shown at checkout, or a redirect to its page.
  await db.schema
    .createTable('custom_payment_methods')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('type', 'text', (c) => c.notNull().check(sql`type in ('instructions', 'redirect')`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('instructions', 'text')
    .addColumn('steps', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('redirect_url', 'text')
    .addColumn('skip_interstitial_page', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('show_processing_status_page', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('require_proof_of_payment', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('sort_order', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('modifier', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('custom_payment_methods_store_idx')
    .on('custom_payment_methods')
    .columns(['store_id', 'sort_order'])
    .execute();
  // Which of them a variant takes (SellApp's custom_payment_method_ids next to payment_methods).
  await db.schema
    .alterTable('product_variants')
    .addColumn('custom_payment_method_ids', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .execute();
  await db.schema
    .alterTable('invoices')
    .addColumn('custom_payment_method_id', 'text', (c) => c.references('custom_payment_methods.id'))
    .execute();
  // What the buyer sent to prove a custom payment, for the seller's review.
  await db.schema
    .createTable('invoice_payment_proofs')
    .addColumn('invoice_id', 'integer', (c) => c.primaryKey().references('invoices.id'))
    .addColumn('text', 'text')
    .addColumn('image_key', 'text')
    .addColumn('submitted_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}
