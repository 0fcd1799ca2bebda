import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // One row per receiving wallet (an extended key, or an address), whichever stores use it: its
  // next derivation index, and the lock that serializes address, amount and payment matching.
  await db.schema
    .createTable('crypto_wallets')
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('wallet_id', 'text', (c) => c.notNull())
    .addColumn('next_index', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('crypto_wallets_pk', ['method', 'wallet_id'])
    .execute();

  // Amounts are in the coin's smallest unit; numeric(78) holds any uint256.
  await db.schema
    .createTable('crypto_payments')
    .addColumn('invoice_id', 'integer', (c) => c.primaryKey().references('invoices.id'))
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('wallet_id', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('derivation_index', 'integer')
    .addColumn('rate', 'text', (c) => c.notNull())
    .addColumn('fiat_cents', 'integer', (c) => c.notNull())
    .addColumn('fiat_currency', 'text', (c) => c.notNull())
    .addColumn('requested_units', sql`numeric(78, 0)`, (c) => c.notNull())
    .addColumn('received_units', sql`numeric(78, 0)`, (c) => c.notNull().defaultTo(0))
    .addColumn('confirmed_units', sql`numeric(78, 0)`, (c) => c.notNull().defaultTo(0))
    .addColumn('required_confirmations', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('AWAITING'))
    .addColumn('cursor', 'jsonb')
    // The chain's height at checkout: money confirmed at or below it was there before the invoice.
    .addColumn('start_height', 'integer')
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('late_watch_until', 'timestamptz', (c) => c.notNull())
    .addColumn('settled_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // A derived address is never handed out twice, whichever store derives it.
  await sql`create unique index crypto_payments_derived_uq on crypto_payments (method, address) where derivation_index is not null`.execute(
    db,
  );
  await db.schema.createIndex('crypto_payments_wallet_idx').on('crypto_payments').columns(['method', 'wallet_id', 'status']).execute();

  await db.schema
    .createTable('crypto_payment_txs')
    .addColumn('invoice_id', 'integer', (c) => c.notNull().references('crypto_payments.invoice_id'))
    .addColumn('txid', 'text', (c) => c.notNull())
    .addColumn('amount_units', sql`numeric(78, 0)`, (c) => c.notNull())
    .addColumn('confirmations', 'integer', (c) => c.notNull())
    .addColumn('block_height', 'integer')
    // When we first saw it: before or after the payment window closed decides what it pays.
    .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull())
    .addColumn('dropped', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('crypto_payment_txs_pk', ['invoice_id', 'txid'])
    .execute();
  await db.schema.createIndex('crypto_payment_txs_txid_idx').on('crypto_payment_txs').column('txid').execute();

  // Transfers to a shared address that match no invoice's amount: kept for a person, never lost.
  await db.schema
    .createTable('crypto_unmatched_transfers')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('txid', 'text', (c) => c.notNull())
    .addColumn('amount_units', sql`numeric(78, 0)`, (c) => c.notNull())
    .addColumn('first_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // Per store: stores sharing one address each hear of a stray transfer to it.
    .addUniqueConstraint('crypto_unmatched_transfers_uq', ['store_id', 'method', 'address', 'txid'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('crypto_unmatched_transfers').execute();
  await db.schema.dropTable('crypto_payment_txs').execute();
  await db.schema.dropTable('crypto_payments').execute();
  await db.schema.dropTable('crypto_wallets').execute();
}
