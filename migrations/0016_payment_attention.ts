import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Why an invoice waits for a person when no delivery step says so: money that did not match
  // it (mode, checkout session, currency, amount), a partial payment, money for a voided or
  // already paid invoice. Shown by ops/stuck-orders and `sellflow orders stuck`.
  await db.schema.alterTable('invoices').addColumn('attention_reason', 'text').execute();

  // What became of each provider event: kept even when it paid nothing, with the reason.
  await db.schema.alterTable('gateway_events').addColumn('outcome', 'text').addColumn('reason', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('gateway_events').dropColumn('reason').dropColumn('outcome').execute();
  await db.schema.alterTable('invoices').dropColumn('attention_reason').execute();
}
