import nodemailer from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser';
import type { DbExecutor } from '../db/schema';
import type { NotificationConfig } from '../webhooks/notifications';
import type { RenderedEmail } from './delivery-email-template';

/**
 * Every e-mail to a buyer goes out here: the delivery e-mail, checkout reminders, renewal
 * receipts, failed-payment notices, late community links. Each is one row in delivery_emails
 * under its invoice and a send key naming the event, claimed before the send, so a retried
 * activity finds it sent (or skipped) and sends nothing twice.
 */
export interface BuyerEmailDependencies {
  db: DbExecutor;
  mail: Pick<NotificationConfig, 'smtpUrl' | 'from'>;
}

export type BuyerEmailOutcome = { status: 'sent'; messageId: string } | { status: 'skipped'; reason: string };

/** What one e-mail says and who besides the buyer hears of it; `skip` settles it unsent, for good. */
export type ComposedBuyerEmail = (RenderedEmail & { storeName: string; replyTo?: string | null; bcc?: string | null }) | { skip: string };

export function sender(from: string): { name: string; address: string } {
  const [parsed] = addressparser(from, { flatten: true });
  return { name: parsed?.name ?? '', address: parsed?.address ?? 'no-reply@sellflow.local' };
}

/** The same for every attempt of one invoice and key: a receiving server can drop a duplicate we could not prevent. */
export function buyerEmailMessageId(invoiceId: number, sendKey: string, from: string): string {
  const domain = sender(from).address.split('@')[1] ?? 'sellflow.local';
  return `<invoice-${invoiceId}.${sendKey.replace(/[^\w.-]/g, '_')}@${domain}>`;
}

/** A buyer who gave no address (the store disabled the checkout e-mail): nothing to send, nothing to fix. */
export const NO_BUYER_EMAIL = 'The buyer gave no e-mail address (the store does not ask for one at checkout)';

/**
 * Sends the e-mail of (invoice, sendKey) once, to the recipient of its first attempt. `compose`
 * runs only when the e-mail is still owed. A send that fails is recorded with its reason and
 * throws, for the caller to retry or flag. Without a recipient it is skipped, and nothing is recorded.
 */
export async function sendBuyerEmailOnce(
  deps: BuyerEmailDependencies,
  invoiceId: number,
  sendKey: string,
  recipient: string | null,
  compose: () => Promise<ComposedBuyerEmail>,
): Promise<BuyerEmailOutcome> {
  if (recipient === null) return { status: 'skipped', reason: NO_BUYER_EMAIL };
  const messageId = buyerEmailMessageId(invoiceId, sendKey, deps.mail.from);
  await deps.db
    .insertInto('delivery_emails')
    .values({ invoice_id: invoiceId, send_key: sendKey, message_id: messageId, recipient })
    .onConflict((oc) => oc.constraint('delivery_emails_invoice_key_uq').doNothing())
    .execute();
  const row = await deps.db
    .updateTable('delivery_emails')
    .set((eb) => ({ attempts: eb('attempts', '+', 1), updated_at: new Date() }))
    .where('invoice_id', '=', invoiceId)
    .where('send_key', '=', sendKey)
    .returning(['status', 'reason', 'recipient'])
    .executeTakeFirstOrThrow();
  if (row.status === 'sent') return { status: 'sent', messageId };
  if (row.status === 'skipped') return { status: 'skipped', reason: row.reason ?? '' };

  const settle = (status: 'sent' | 'failed' | 'skipped', reason: string | null) =>
    deps.db
      .updateTable('delivery_emails')
      .set({
        status,
        reason: reason?.slice(0, 1000) ?? null,
        updated_at: new Date(),
        ...(status === 'sent' ? { sent_at: new Date() } : {}),
      })
      .where('invoice_id', '=', invoiceId)
      .where('send_key', '=', sendKey)
      .execute();
  if (!deps.mail.smtpUrl) {
    // No mail server in this installation: nothing to retry, nothing for ops to fix per order.
    const reason = 'No SMTP server is configured (SMTP_URL)';
    await settle('skipped', reason);
    return { status: 'skipped', reason };
  }
  const email = await compose();
  if ('skip' in email) {
    await settle('skipped', email.skip);
    return { status: 'skipped', reason: email.skip };
  }
  const transport = nodemailer.createTransport(deps.mail.smtpUrl);
  try {
    await transport.sendMail({
      from: { name: email.storeName, address: sender(deps.mail.from).address },
      to: row.recipient,
      ...(email.replyTo ? { replyTo: email.replyTo } : {}),
      ...(email.bcc ? { bcc: email.bcc } : {}),
      messageId,
      subject: email.subject,
      html: email.html,
      text: email.text,
    });
  } catch (error) {
    await settle('failed', error instanceof Error ? error.message : String(error));
    throw error;
  } finally {
    transport.close();
  }
  await settle('sent', null);
  return { status: 'sent', messageId };
}
