import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The store's checkout settings (issue 24): which sites may embed fast checkout, the dispute
  // switch, and the invoice-creation attempt limits (per hour; null = that limit is off).
  await db.schema
    .alterTable('stores')
    .addColumn('checkout_allowed_origins', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('blacklist_on_dispute', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('checkout_limit_ip_email', 'integer', (c) => c.check(sql`checkout_limit_ip_email > 0`))
    .addColumn('checkout_limit_ip', 'integer', (c) => c.check(sql`checkout_limit_ip > 0`))
    .addColumn('checkout_limit_email', 'integer', (c) => c.check(sql`checkout_limit_email > 0`))
    .addColumn('checkout_limit_fingerprint', 'integer', (c) => c.check(sql`checkout_limit_fingerprint > 0`))
    .addColumn('checkout_limit_window_seconds', 'integer', (c) => c.check(sql`checkout_limit_window_seconds > 0`))
    .execute();

  // One counter per store, limit and client (a hash of the IP, e-mail, pair or fingerprint):
  // every API process counts in the same row, through one atomic upsert.
  await db.schema
    .createTable('checkout_attempts')
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('scope', 'text', (c) => c.notNull().check(sql`scope in ('ip_email', 'ip', 'email', 'fingerprint')`))
    .addColumn('key_hash', 'text', (c) => c.notNull())
    .addColumn('window_started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('blocked_until', 'timestamptz')
    .addPrimaryKeyConstraint('checkout_attempts_pk', ['store_id', 'scope', 'key_hash'])
    .execute();

  // A fast-checkout buyer follows their order by a token only they hold (its hash is kept).
  await db.schema.alterTable('invoices').addColumn('status_token_hash', 'text').execute();
  await sql`create unique index invoices_status_token_uq on invoices (status_token_hash) where status_token_hash is not null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index invoices_status_token_uq`.execute(db);
  await db.schema.alterTable('invoices').dropColumn('status_token_hash').execute();
  await db.schema.dropTable('checkout_attempts').execute();
  await db.schema
    .alterTable('stores')
    .dropColumn('checkout_limit_window_seconds')
    .dropColumn('checkout_limit_fingerprint')
    .dropColumn('checkout_limit_email')
    .dropColumn('checkout_limit_ip')
    .dropColumn('checkout_limit_ip_email')
    .dropColumn('blacklist_on_dispute')
    .dropColumn('checkout_allowed_origins')
    .execute();
}
