import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The official store settings' fields Sellflow did not keep: who may see the storefront and its colour scheme.
  await db.schema
    .alterTable('stores')
    .addColumn('visibility', 'text', (c) =>
      c
        .notNull()
        .defaultTo('PUBLIC')
        .check(sql`visibility in ('PUBLIC', 'HIDDEN', 'PRIVATE')`),
    )
    .addColumn('dark_mode', 'text', (c) => c.check(sql`dark_mode in ('light', 'dark', 'system')`))
    .execute();
  // A payout asked for one affiliate (POST /v2/affiliates/{id}/payouts) belongs to no cycle.
  await db.schema
    .alterTable('affiliate_payouts')
    .alterColumn('cycle_id', (c) => c.dropNotNull())
    .execute();
  // The last check of a community connection's credentials with its platform.
  await db.schema
    .alterTable('community_connections')
    .addColumn('credential_health_status', 'text', (c) => c.check(sql`credential_health_status in ('healthy', 'unhealthy')`))
    .addColumn('credential_health_checked_at', 'timestamptz')
    .addColumn('credential_health_issue', 'text')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('community_connections')
    .dropColumn('credential_health_status')
    .dropColumn('credential_health_checked_at')
    .dropColumn('credential_health_issue')
    .execute();
  await db.schema
    .alterTable('affiliate_payouts')
    .alterColumn('cycle_id', (c) => c.setNotNull())
    .execute();
  await db.schema.alterTable('stores').dropColumn('visibility').dropColumn('dark_mode').execute();
}
