import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('coupons')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull().check(sql`type in ('PERCENTAGE', 'AMOUNT')`))
    // PERCENTAGE: basis points (12.5 % = 1250); AMOUNT: cents of the invoice's currency.
    .addColumn('discount', 'integer', (c) => c.notNull().check(sql`discount > 0`))
    .addColumn('store_wide', 'boolean', (c) => c.notNull())
    .addColumn('products', sql`integer[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('limit', 'integer')
    .addColumn('uses', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('minimum_amount_cents', 'integer')
    .addColumn('maximum_discount_cents', 'integer')
    .addColumn('expires_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .execute();
  // One live code per store, whatever its case; a deleted coupon frees its code.
  await sql`create unique index coupons_store_code_uq on coupons (store_id, lower(code)) where deleted_at is null`.execute(db);

  // A paid order redeems its coupon once, however often its payment is reported.
  await db.schema
    .createTable('coupon_redemptions')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('coupon_id', 'integer', (c) => c.notNull().references('coupons.id'))
    .addColumn('invoice_id', 'integer', (c) => c.notNull().references('invoices.id').unique())
    .addColumn('discount_cents', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .alterTable('invoices')
    .addColumn('coupon_id', 'integer', (c) => c.references('coupons.id'))
    .addColumn('coupon_discount_cents', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('invoices_coupon_idx').on('invoices').columns(['coupon_id', 'status']).execute();

  await db.schema
    .createTable('blacklists')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('type', 'text', (c) => c.notNull().check(sql`type in ('ASN', 'COUNTRY', 'EMAIL', 'IP', 'WILDCARD_EMAIL')`))
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('blacklists_store_idx').on('blacklists').column('store_id').execute();

  // Every checkout a rule refused, for the seller to review.
  await db.schema
    .createTable('blocked_checkouts')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('blacklist_id', 'integer', (c) => c.references('blacklists.id').onDelete('set null'))
    .addColumn('rule_type', 'text', (c) => c.notNull())
    .addColumn('rule_data', 'text', (c) => c.notNull())
    .addColumn('customer_email', 'text', (c) => c.notNull())
    .addColumn('customer_ip', 'text')
    .addColumn('country', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('blocked_checkouts').execute();
  await db.schema.dropTable('blacklists').execute();
  await db.schema.alterTable('invoices').dropColumn('coupon_discount_cents').dropColumn('coupon_id').execute();
  await db.schema.dropTable('coupon_redemptions').execute();
  await db.schema.dropTable('coupons').execute();
}
