import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // One activation of a license key; its UUID is the instance_id clients validate with.
  await db.schema
    .createTable('license_key_instances')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('license_key_id', 'integer', (c) => c.notNull().references('license_keys.id'))
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // Activating the same name again returns its instance instead of using up the limit.
    .addUniqueConstraint('license_key_instances_key_name_uq', ['license_key_id', 'name'])
    .execute();
  await db.schema.createIndex('license_key_instances_store_idx').on('license_key_instances').columns(['store_id', 'created_at']).execute();
  await db.schema.createIndex('license_keys_store_key_idx').on('license_keys').columns(['store_id', 'key']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('license_keys_store_key_idx').execute();
  await db.schema.dropTable('license_key_instances').execute();
}
