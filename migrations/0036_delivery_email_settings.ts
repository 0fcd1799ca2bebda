import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The seed's "Send Delivery Email" (on unless the seller turns it off) and its Trustpilot
  // address, BCC'd on every delivery e-mail so Trustpilot can invite the buyer to review.
  await db.schema
    .alterTable('stores')
    .addColumn('send_delivery_email', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('trustpilot_email', 'text')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('stores').dropColumn('send_delivery_email').dropColumn('trustpilot_email').execute();
}
