import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('stores')
    // Encrypted at rest (AES-256-GCM); signs dynamic-delivery webhooks.
    .addColumn('webhook_secret_encrypted', 'text')
    .addColumn('invoice_ttl_seconds', 'integer', (c) => c.notNull().defaultTo(24 * 60 * 60))
    .execute();

  await db.schema
    .createTable('invoices')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('livemode', 'boolean', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('PENDING'))
    .addColumn('status_history', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('status_set_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('customer_email', 'text', (c) => c.notNull())
    .addColumn('customer_ip', 'text')
    .addColumn('country', 'text')
    .addColumn('vat_id', 'text')
    .addColumn('payment_method', 'text', (c) => c.notNull())
    .addColumn('coupon_code', 'text')
    .addColumn('affiliate', 'text')
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('subtotal_cents', 'integer', (c) => c.notNull())
    .addColumn('method_adjustment_cents', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('extra_cents', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('total_cents', 'integer', (c) => c.notNull())
    .addColumn('units', 'integer', (c) => c.notNull())
    .addColumn('gateway', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('needs_attention', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('replacement_of', 'integer', (c) => c.references('invoices.id'))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('paid_at', 'timestamptz')
    .addColumn('completed_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('invoices_store_created_idx').on('invoices').columns(['store_id', 'id']).execute();
  await db.schema
    .createIndex('invoices_store_attention_idx')
    .on('invoices')
    .columns(['store_id', 'needs_attention'])
    .where(sql.ref('needs_attention'), '=', true)
    .execute();

  await db.schema
    .createTable('invoice_lines')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('invoice_id', 'integer', (c) => c.notNull().references('invoices.id'))
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('product_id', 'integer', (c) => c.notNull().references('products.id'))
    .addColumn('variant_id', 'integer', (c) => c.notNull().references('product_variants.id'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addColumn('unit_price_cents', 'integer', (c) => c.notNull())
    .addColumn('bulk_discount_cents', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('total_cents', 'integer', (c) => c.notNull())
    .addColumn('additional_information', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('deliverable_types', sql`text[]`, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('invoice_lines_invoice_idx').on('invoice_lines').column('invoice_id').execute();

  await db.schema
    .createTable('delivery_steps')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('invoice_id', 'integer', (c) => c.notNull().references('invoices.id'))
    .addColumn('line_id', 'integer', (c) => c.notNull().references('invoice_lines.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('reason', 'text')
    .addColumn('result', 'jsonb')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('delivery_steps_line_kind_uq', ['line_id', 'kind'])
    .execute();
  await db.schema.createIndex('delivery_steps_invoice_idx').on('delivery_steps').column('invoice_id').execute();

  await db.schema
    .createTable('license_keys')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('key', 'text', (c) => c.notNull().unique())
    // invoice + line + unit: a retried step finds the keys it already made.
    .addColumn('issue_key', 'text', (c) => c.notNull().unique())
    .addColumn('invoice_id', 'integer', (c) => c.notNull().references('invoices.id'))
    .addColumn('product_id', 'integer', (c) => c.notNull())
    .addColumn('variant_id', 'integer', (c) => c.notNull())
    .addColumn('limit', 'integer')
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('expires_at', 'timestamptz')
    .addColumn('subscription_id', 'integer')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['license_keys', 'delivery_steps', 'invoice_lines', 'invoices']) await db.schema.dropTable(table).execute();
  await db.schema.alterTable('stores').dropColumn('webhook_secret_encrypted').dropColumn('invoice_ttl_seconds').execute();
}
