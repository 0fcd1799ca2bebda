import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // A PayPal subscription needs a catalog product and a billing plan at PayPal. One pair per
  // REST app, variant and price (amount, currency, interval) is created once and reused by
  // every checkout; a price change makes a new pair, old subscriptions keep their plan.
  await db.schema
    .createTable('paypal_billing_plans')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('product_variant_id', 'integer', (c) => c.notNull().references('product_variants.id'))
    .addColumn('price_cents', 'integer', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('interval', 'text', (c) => c.notNull())
    .addColumn('interval_count', 'integer', (c) => c.notNull())
    .addColumn('paypal_product_id', 'text', (c) => c.notNull())
    .addColumn('paypal_plan_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('paypal_billing_plans_price_uq', [
      'store_id',
      'client_id',
      'product_variant_id',
      'price_cents',
      'currency',
      'interval',
      'interval_count',
    ])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('paypal_billing_plans').execute();
}
