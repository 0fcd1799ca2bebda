import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // A paused subscription renews no more until it is resumed.
  await db.schema.alterTable('subscriptions').addColumn('paused_at', 'timestamptz').execute();
  // Each lifecycle action the subscription workflow took: the official action record, and what
  // makes a retried request (same request key) the same action.
  await db.schema
    .createTable('subscription_actions')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('subscription_id', 'integer', (c) => c.notNull().references('subscriptions.id'))
    .addColumn('store_id', 'integer', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull().check(sql`action in ('pause', 'resume', 'cancel_at_period_end', 'cancel_immediately')`))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'confirmed', 'failed')`))
    .addColumn('actor', 'text', (c) => c.notNull().check(sql`actor in ('seller', 'customer')`))
    .addColumn('request_key', 'text', (c) => c.notNull())
    .addColumn('customer_message', 'text')
    .addColumn('confirmed_at', 'timestamptz')
    .addColumn('failed_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('subscription_actions_request_key', ['subscription_id', 'request_key'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('subscription_actions').execute();
  await db.schema.alterTable('subscriptions').dropColumn('paused_at').execute();
}
