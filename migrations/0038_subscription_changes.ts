import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // A change of plan and a shift of the renewal date are actions too (the official action names).
  await sql`alter table subscription_actions drop constraint if exists subscription_actions_action_check`.execute(db);
  await sql`alter table subscription_actions add constraint subscription_actions_action_check check (action in ('pause', 'resume', 'cancel_at_period_end', 'cancel_immediately', 'change_plan', 'shift_billing_date'))`.execute(
    db,
  );
  // What a preview showed, so its confirm applies exactly that and only once: the token is
  // looked up by its hash and kept sealed only to answer a retried preview with the same token.
  await db.schema
    .createTable('subscription_change_previews')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('subscription_id', 'integer', (c) => c.notNull().references('subscriptions.id'))
    .addColumn('store_id', 'integer', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull().check(sql`action in ('change_plan', 'shift_billing_date')`))
    .addColumn('actor', 'text', (c) => c.notNull().check(sql`actor in ('seller', 'customer')`))
    .addColumn('request_key', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('token_sealed', 'text', (c) => c.notNull())
    .addColumn('from_variant_id', 'integer', (c) => c.notNull())
    .addColumn('to_variant_id', 'integer')
    .addColumn('period_end', 'timestamptz', (c) => c.notNull())
    .addColumn('renewal_date', 'timestamptz')
    .addColumn('proration_date', 'timestamptz')
    .addColumn('total_cents', 'integer', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('action_id', 'integer', (c) => c.references('subscription_actions.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('subscription_change_previews_request_key', ['subscription_id', 'request_key'])
    .execute();
  await db.schema
    .alterTable('subscription_actions')
    .addColumn('preview_id', 'integer', (c) => c.references('subscription_change_previews.id'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('subscription_actions').dropColumn('preview_id').execute();
  await db.schema.dropTable('subscription_change_previews').execute();
  await sql`alter table subscription_actions drop constraint if exists subscription_actions_action_check`.execute(db);
  await sql`alter table subscription_actions add constraint subscription_actions_action_check check (action in ('pause', 'resume', 'cancel_at_period_end', 'cancel_immediately'))`.execute(
    db,
  );
}
