import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The outbox relay sleeps until there is work; a worker wakes it when this row says it sleeps.
  await db.schema
    .createTable('relay_state')
    .addColumn('task_queue', 'text', (c) => c.primaryKey())
    .addColumn('sleeping', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('wake_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // News for the relay, told on commit (NOTIFY is transactional, and repeats within one
  // transaction fold into one): events to hand out, engine intents owed, grants to revoke, and
  // new invoices (their expiry may come before the relay's planned wake).
  await sql`
    create function sellflow_outbox_news() returns trigger language plpgsql as $$
    begin
      perform pg_notify('sellflow_outbox', tg_table_name);
      return null;
    end $$`.execute(db);
  for (const table of ['events', 'engine_intents', 'invoices'])
    await sql`create trigger ${sql.raw(`${table}_outbox_news`)} after insert on ${sql.table(table)}
      for each statement execute function sellflow_outbox_news()`.execute(db);
  await sql`create trigger community_grants_outbox_news after update of revoke_requested_at on community_grants
    for each statement execute function sellflow_outbox_news()`.execute(db);
  // What the relay's wake-up check asks on every piece of news: cheap only with these.
  await sql`create index invoices_awaiting_expiry_idx on invoices (expires_at) where status in ('PENDING', 'REVIEW', 'PARTIAL')`.execute(
    db,
  );
  await sql`create index community_grants_revoke_owed_idx on community_grants (id)
    where revoke_requested_at is not null and revoke_signaled_at is null`.execute(db);
}
