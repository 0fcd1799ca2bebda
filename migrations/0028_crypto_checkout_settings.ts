import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The store's tolerated underpayment at checkout (basis points of the quote), kept with the
  // payment like its required confirmations: a later change of the setting never moves a quote.
  await db.schema
    .alterTable('crypto_payments')
    .addColumn('underpaid_tolerance_bp', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
