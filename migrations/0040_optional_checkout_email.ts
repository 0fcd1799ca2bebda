import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The seed's "Disable Checkout Email" (off unless the seller turns it on): checkout stops asking
  // for the buyer's e-mail, so an invoice (and a refused checkout's record) may have none.
  await db.schema
    .alterTable('stores')
    .addColumn('disable_checkout_email', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await db.schema
    .alterTable('invoices')
    .alterColumn('customer_email', (c) => c.dropNotNull())
    .execute();
  await db.schema
    .alterTable('blocked_checkouts')
    .alterColumn('customer_email', (c) => c.dropNotNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('stores').dropColumn('disable_checkout_email').execute();
}
