import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // A variant's community access may also end while its subscription is paused (back on resume);
  // off by default: a paused subscription kept its access before this setting existed.
  await db.schema
    .alterTable('variant_community_access')
    .addColumn('remove_on_pause', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  // Snapshotted on the grant like remove_on_expiry. A revoked grant is over; access given back
  // (a subscription resumed, a dispute won) is a new grant that names the one it restores, once.
  await db.schema
    .alterTable('community_grants')
    .addColumn('remove_on_pause', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('restores_grant_id', 'integer', (c) => c.references('community_grants.id').unique())
    .execute();
  // One grant per order and access as bought; restorations come beside it.
  await db.schema.alterTable('community_grants').dropConstraint('community_grants_invoice_access_uq').execute();
  await sql`create unique index community_grants_invoice_access_uq on community_grants (invoice_id, access_id) where restores_grant_id is null`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index community_grants_invoice_access_uq`.execute(db);
  await db.schema.alterTable('community_grants').dropColumn('restores_grant_id').dropColumn('remove_on_pause').execute();
  await db.schema
    .alterTable('community_grants')
    .addUniqueConstraint('community_grants_invoice_access_uq', ['invoice_id', 'access_id'])
    .execute();
  await db.schema.alterTable('variant_community_access').dropColumn('remove_on_pause').execute();
}
