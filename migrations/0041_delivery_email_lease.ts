import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Until when the attempt that claimed a buyer e-mail may still be talking to the SMTP server:
  // another attempt sends it only after that (src/orders/buyer-email.ts). Null: nobody holds it.
  await db.schema.alterTable('delivery_emails').addColumn('sending_until', 'timestamptz').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('delivery_emails').dropColumn('sending_until').execute();
}
