import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Why the gateway is still making a refund (PayPal's status_details.reason: ECHECK …), while it is pending.
  await db.schema.alterTable('refunds').addColumn('pending_reason', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('refunds').dropColumn('pending_reason').execute();
}
