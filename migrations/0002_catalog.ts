import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Live-mode dynamic webhooks must be https unless the store opts out.
  await db.schema
    .alterTable('stores')
    .addColumn('allow_http_webhooks', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await db.schema
    .createTable('events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('livemode', 'boolean', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('events_store_created_idx').on('events').columns(['store_id', 'created_at']).execute();

  await db.schema
    .createTable('products')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('public_id', 'text', (c) => c.notNull().unique())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('external_id', 'text')
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('slug', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('visibility', 'text', (c) => c.notNull().defaultTo('PUBLIC'))
    .addColumn('type', 'text', (c) => c.notNull().defaultTo('product'))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('DRAFT'))
    .addColumn('product_type', 'text')
    .addColumn('billing_interval', 'text')
    .addColumn('images', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('order', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('delivery_text', 'text')
    .addColumn('additional_information', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('other_settings', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('warranty', 'jsonb')
    .addColumn('section_id', 'integer')
    .addColumn('section_order', 'integer')
    .addColumn('category_id', 'integer')
    .addColumn('is_discoverable', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('livemode', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('published_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('products_store_external_id_uq')
    .on('products')
    .columns(['store_id', 'external_id'])
    .unique()
    .where(sql.ref('external_id'), 'is not', null)
    .execute();
  await db.schema.createIndex('products_store_slug_uq').on('products').columns(['store_id', 'slug']).unique().execute();
  await db.schema.createIndex('products_store_id_idx').on('products').columns(['store_id', 'id']).execute();

  await db.schema
    .createTable('product_variants')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('product_id', 'integer', (c) => c.notNull().references('products.id'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('price_cents', 'integer', (c) => c.notNull().check(sql`price_cents >= 0`))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('humble', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('pricing_type', 'text', (c) => c.notNull().defaultTo('SINGLE_PAYMENT'))
    .addColumn('frequency_value', 'integer')
    .addColumn('frequency_interval', 'text')
    .addColumn('minimum_purchase_quantity', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('maximum_purchase_quantity', 'integer')
    .addColumn('bulk_discount', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('payment_methods', sql`text[]`, (c) => c.notNull())
    .addColumn('other_settings', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('visibility', 'text', (c) => c.notNull().defaultTo('PUBLIC'))
    .addColumn('deliverable_types', sql`text[]`, (c) => c.notNull())
    .addColumn('deliverable', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('order', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('sold_out', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('product_variants_product_idx').on('product_variants').columns(['product_id', 'id']).execute();

  await db.schema
    .createTable('variant_serials')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('variant_id', 'integer', (c) => c.notNull().references('product_variants.id'))
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('AVAILABLE')
        .check(sql`status in ('AVAILABLE', 'SOLD')`),
    )
    .addColumn('claim_key', 'text')
    .addColumn('sold_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('variant_serials_variant_status_idx').on('variant_serials').columns(['variant_id', 'status', 'id']).execute();
  await db.schema.createIndex('variant_serials_claim_key_idx').on('variant_serials').column('claim_key').execute();

  await db.schema
    .createTable('uploads')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('storage_key', 'text', (c) => c.notNull().unique())
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('content_length', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('uploaded_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('releases')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('public_id', 'text', (c) => c.notNull().unique())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('product_id', 'integer', (c) => c.notNull().references('products.id'))
    .addColumn('external_id', 'text')
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('is_current', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('publish_requested', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('published_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('releases_product_external_id_uq')
    .on('releases')
    .columns(['product_id', 'external_id'])
    .unique()
    .where(sql.ref('external_id'), 'is not', null)
    .execute();
  // At most one current release per product: promoting one must demote the other in the same transaction.
  await db.schema
    .createIndex('releases_one_current_uq')
    .on('releases')
    .column('product_id')
    .unique()
    .where(sql.ref('is_current'), '=', true)
    .execute();

  await db.schema
    .createTable('release_files')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('public_id', 'text', (c) => c.notNull().unique())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('release_id', 'integer', (c) => c.notNull().references('releases.id'))
    .addColumn('storage_key', 'text', (c) => c.notNull())
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('file_size', 'bigint', (c) => c.notNull())
    .addColumn('mime_type', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('release_files_release_key_uq').on('release_files').columns(['release_id', 'storage_key']).unique().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['release_files', 'releases', 'uploads', 'variant_serials', 'product_variants', 'products', 'events']) {
    await db.schema.dropTable(table).execute();
  }
  await db.schema.alterTable('stores').dropColumn('allow_http_webhooks').execute();
}
