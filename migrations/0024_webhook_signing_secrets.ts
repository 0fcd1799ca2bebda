import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The store-wide signing secret of SellApp's webhook channels (one a mode), sealed; set by
  // PUT /v2/webhook-channels/signing-secret and given to every endpoint of that store and mode.
  await db.schema
    .createTable('webhook_signing_secrets')
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id').onDelete('cascade'))
    .addColumn('livemode', 'boolean', (c) => c.notNull())
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('rotated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('webhook_signing_secrets_pk', ['store_id', 'livemode'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('webhook_signing_secrets').execute();
}
