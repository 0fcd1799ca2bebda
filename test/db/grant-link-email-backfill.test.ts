import { Migrator, sql } from 'kysely';
import { migrations } from '../../migrations';
import { createTestDatabase } from '../helpers/database';

/**
 * Migration 0043 tells every grant with an invite link which e-mail already carries it, so that
 * neither the order's delivery e-mail (a retry) nor a late-link notice still to go sends it again.
 */
it('backfills the e-mail that carries each invite link already there', async () => {
  const database = await createTestDatabase({ kind: process.env.DATABASE_URL ? 'postgres' : 'embedded' });
  const db = database.db;
  try {
    await sql`drop schema public cascade`.execute(db);
    await sql`create schema public`.execute(db);
    const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '0043'));
    const migrated = await new Migrator({ db, provider: { getMigrations: async () => before } }).migrateToLatest();
    expect(migrated.error).toBeUndefined();

    await sql`insert into accounts (name) values ('a')`.execute(db);
    await sql`insert into stores (account_id, slug, name) values (1, 'one', 'One')`.execute(db);
    const invoice = async () =>
      (
        await sql<{ id: number }>`
          insert into invoices (store_id, livemode, status_history, customer_email, payment_method, currency, subtotal_cents, total_cents,
                                units, gateway, expires_at)
          values (1, true, '[]'::jsonb, 'buyer@e.co', 'PAYPAL', 'USD', 100, 100, 1, '{}'::jsonb, now()) returning id`.execute(db)
      ).rows[0]!.id;
    await sql`insert into community_connections (store_id, platform) values (1, 'telegram')`.execute(db);
    await sql`insert into community_spaces (store_id, connection_id, platform, external_id, kind) values (1, 1, 'telegram', '-1', 'supergroup')`.execute(
      db,
    );
    let access = 0;
    const grant = async (invoiceId: number, inviteUrl: string | null) =>
      (
        await sql<{ id: number }>`
          insert into community_grants (store_id, livemode, invoice_id, access_id, space_id, platform, remove_on_expiry, invite_url)
          values (1, true, ${invoiceId}, ${++access}, 1, 'telegram', false, ${inviteUrl}) returning id`.execute(db)
      ).rows[0]!.id;
    const email = (invoiceId: number, key: string, status: string) =>
      sql`insert into delivery_emails (invoice_id, send_key, message_id, recipient, status)
          values (${invoiceId}, ${key}, ${`<${invoiceId}.${key}@t>`}, 'buyer@e.co', ${status})`.execute(db);
    const notice = (invoiceId: number, detail: object) =>
      sql`insert into engine_intents (kind, subject_id, detail) values ('buyer_notice.send', ${invoiceId}, ${JSON.stringify(detail)}::jsonb)`.execute(
        db,
      );

    // Delivered: one link was in the delivery e-mail, one came later and had its own e-mail.
    const delivered = await invoice();
    const inDelivery = await grant(delivered, 'https://t.me/+in-delivery');
    const lateSent = await grant(delivered, 'https://t.me/+late-sent');
    const noLink = await grant(delivered, null);
    await email(delivered, 'order', 'sent');
    await email(delivered, `community-link-${lateSent}`, 'sent');
    // Delivery e-mail still being retried: a link it read, and one whose own e-mail is owed, not sent yet.
    const retrying = await invoice();
    const readByDelivery = await grant(retrying, 'https://t.me/+read');
    const lateOwed = await grant(retrying, 'https://t.me/+late-owed');
    await email(retrying, 'order', 'failed');
    await notice(retrying, { notice: JSON.stringify({ kind: 'community_link', grantId: lateOwed }) });
    await notice(retrying, { notice: JSON.stringify({ kind: 'renewal_receipt', paymentId: lateOwed }) });
    // No delivery e-mail yet: it will take the link when it reads the grants.
    const undelivered = await invoice();
    const waiting = await grant(undelivered, 'https://t.me/+waiting');

    await migrations['0043_grant_link_email']!.up(db as never);

    const rows = await sql<{ id: number; link_email_key: string | null }>`select id, link_email_key from community_grants`.execute(db);
    const keys = Object.fromEntries(rows.rows.map((r) => [r.id, r.link_email_key]));
    expect(keys).toEqual({
      [inDelivery]: 'order',
      [lateSent]: `community-link-${lateSent}`,
      [noLink]: null,
      [readByDelivery]: 'order',
      [lateOwed]: `community-link-${lateOwed}`,
      [waiting]: null,
    });
  } finally {
    await database.close();
  }
}, 180_000);
