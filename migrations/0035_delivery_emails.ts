import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Where a buyer's reply to the delivery e-mail goes; null: no Reply-To (the sender address).
  await db.schema.alterTable('stores').addColumn('reply_to_email', 'text').execute();
  // One row per delivery e-mail sent (or tried) for an invoice under a send key ('order' for the
  // workflow's own, a fresh key per resend): a retried activity finds its row and sends nothing twice.
  await db.schema
    .createTable('delivery_emails')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('invoice_id', 'integer', (c) => c.notNull().references('invoices.id'))
    .addColumn('send_key', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull().unique())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('sending')
        .check(sql`status in ('sending', 'sent', 'failed', 'skipped')`),
    )
    .addColumn('reason', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('sent_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('delivery_emails_invoice_key_uq', ['invoice_id', 'send_key'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('delivery_emails').execute();
  await db.schema.alterTable('stores').dropColumn('reply_to_email').execute();
}
