import { type Kysely, sql } from 'kysely';

/** The relay's sleep lock (src/outbox/relay-wakeups.ts RELAY_SLEEP_LOCK): the same number there. */
const RELAY_SLEEP_LOCK = sql.lit(5_311_207_026);

export async function up(db: Kysely<unknown>): Promise<void> {
  // Postgres holds one database-wide lock on its notification queue from a notifying
  // transaction's pre-commit to the end of its commit, so 0025's NOTIFY on every outbox insert
  // made every event-writing commit wait for the one before it (here: 355 commits/s against 768
  // without, by pgbench). News is now told only while a relay sleeps. The shared advisory lock,
  // held to the end of the writing transaction, lets a relay on its way to sleep wait out the
  // writers that looked at relay_state before it said so (relayGoesToSleep).
  await sql`
    create or replace function sellflow_outbox_news() returns trigger language plpgsql as $$
    begin
      perform pg_advisory_xact_lock_shared(${RELAY_SLEEP_LOCK});
      if exists (select 1 from relay_state where sleeping) then
        perform pg_notify('sellflow_outbox', tg_table_name);
      end if;
      return null;
    end $$`.execute(db);
  // A new invoice is news only when it expires before a sleeping relay means to wake.
  await sql`
    create function sellflow_invoice_expiry_news() returns trigger language plpgsql as $$
    begin
      perform pg_advisory_xact_lock_shared(${RELAY_SLEEP_LOCK});
      if exists (
        select 1 from relay_state r
        where r.sleeping and exists (select 1 from created_invoices i where r.wake_at is null or i.expires_at < r.wake_at)
      ) then
        perform pg_notify('sellflow_outbox', tg_table_name);
      end if;
      return null;
    end $$`.execute(db);
  await sql`drop trigger invoices_outbox_news on invoices`.execute(db);
  await sql`create trigger invoices_outbox_news after insert on invoices referencing new table as created_invoices
    for each statement execute function sellflow_invoice_expiry_news()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger invoices_outbox_news on invoices`.execute(db);
  await sql`drop function sellflow_invoice_expiry_news()`.execute(db);
  await sql`
    create or replace function sellflow_outbox_news() returns trigger language plpgsql as $$
    begin
      perform pg_notify('sellflow_outbox', tg_table_name);
      return null;
    end $$`.execute(db);
  await sql`create trigger invoices_outbox_news after insert on invoices
    for each statement execute function sellflow_outbox_news()`.execute(db);
}
