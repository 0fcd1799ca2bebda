import { type Kysely, sql } from 'kysely';

/**
 * A variant's downloadable deliverable as the spec manages it: files (each an uploaded object
 * of the store, with a display name and a folder) and folders to arrange them. The variant's
 * `deliverable.files` stays what delivery reads; the catalog rewrites it from these rows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('variant_deliverable_folders')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('variant_id', 'integer', (c) => c.notNull().references('product_variants.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('parent_id', 'integer', (c) => c.references('variant_deliverable_folders.id').onDelete('set null'))
    .addColumn('sort_order', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('variant_deliverable_folders_variant_idx').on('variant_deliverable_folders').column('variant_id').execute();
  await db.schema
    .createTable('variant_deliverable_files')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('variant_id', 'integer', (c) => c.notNull().references('product_variants.id'))
    .addColumn('product_id', 'integer', (c) => c.notNull().references('products.id'))
    .addColumn('storage_key', 'text', (c) => c.notNull())
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('mime_type', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('custom_name', 'text')
    .addColumn('folder_id', 'integer', (c) => c.references('variant_deliverable_folders.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('variant_deliverable_files_variant_key', ['variant_id', 'storage_key'])
    .execute();
  // The files variants already deliver become managed rows.
  await sql`
    insert into variant_deliverable_files (store_id, variant_id, product_id, storage_key, file_name, mime_type, size, created_at, updated_at)
    select v.store_id, v.id, v.product_id, f->>'storage_key', coalesce(f->>'file_name', 'file'),
           coalesce(f->>'mime_type', 'application/octet-stream'), coalesce((f->>'file_size')::bigint, 0), v.created_at, v.updated_at
    from product_variants v cross join lateral jsonb_array_elements(v.deliverable->'files') f
    where jsonb_typeof(v.deliverable->'files') = 'array' and f->>'storage_key' is not null
    on conflict do nothing`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('variant_deliverable_files').execute();
  await db.schema.dropTable('variant_deliverable_folders').execute();
}
