import nodemailer from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser';
import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';
import { BUYER_EMAIL_LEASE_MS, SMTP_ATTEMPT_DEADLINE_MS, SMTP_STEP_TIMEOUT_MS } from '../temporal/contracts/buyer-email-timing';
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
 * Another attempt claimed this e-mail and may still be talking to the SMTP server: sending now
 * could deliver it twice. Retryable, once its lease has run out (`retryAfterMs`).
 */
export class BuyerEmailInFlight extends Error {
  constructor(readonly retryAfterMs: number) {
    super(`Another attempt is still sending this e-mail; retry in ${Math.ceil(retryAfterMs / 1000)} s`);
    this.name = 'BuyerEmailInFlight';
  }
}

/**
 * Sends the e-mail of (invoice, sendKey) once, to the recipient of its first attempt. `compose`
 * runs only when the e-mail is still owed. A send that fails is recorded with its reason and
 * throws, for the caller to retry or flag. Without a recipient it is skipped, and nothing is recorded.
 *
 * An attempt claims the row for BUYER_EMAIL_LEASE_MS before it talks to the server; a retry that
 * finds the lease live (the first attempt stalled past Temporal's timeout, or its worker died)
 * sends nothing and throws BuyerEmailInFlight. An attempt that ends, sent or failed, closed its
 * socket first and gives the lease back. The window left: the server accepted the message and
 * the worker died before marking it sent; the retry after the lease sends it again under the
 * same Message-ID, which receiving servers and clients drop as a duplicate.
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
  // The database's clock for the lease: every worker compares against the same one.
  const claimed = await deps.db
    .updateTable('delivery_emails')
    .set((eb) => ({
      attempts: eb('attempts', '+', 1),
      status: 'sending',
      sending_until: sql<Date>`now() + ${BUYER_EMAIL_LEASE_MS} * interval '1 millisecond'`,
      updated_at: new Date(),
    }))
    .where('invoice_id', '=', invoiceId)
    .where('send_key', '=', sendKey)
    .where('status', 'in', ['sending', 'failed'])
    .where((eb) => eb.or([eb('sending_until', 'is', null), eb('sending_until', '<=', sql<Date>`now()`)]))
    .returning('recipient')
    .executeTakeFirst();
  if (!claimed) {
    const row = await deps.db
      .selectFrom('delivery_emails')
      .select(['status', 'reason', sql<number>`greatest(0, extract(epoch from (sending_until - now())) * 1000)`.as('lease_left_ms')])
      .where('invoice_id', '=', invoiceId)
      .where('send_key', '=', sendKey)
      .executeTakeFirstOrThrow();
    if (row.status === 'sent') return { status: 'sent', messageId };
    if (row.status === 'skipped') return { status: 'skipped', reason: row.reason ?? '' };
    throw new BuyerEmailInFlight(Number(row.lease_left_ms));
  }

  const settle = (status: 'sent' | 'failed' | 'skipped', reason: string | null) =>
    deps.db
      .updateTable('delivery_emails')
      .set({
        status,
        reason: reason?.slice(0, 1000) ?? null,
        sending_until: null,
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
  let transport: ReturnType<typeof smtpTransport> | undefined;
  try {
    const email = await compose();
    if ('skip' in email) {
      await settle('skipped', email.skip);
      return { status: 'skipped', reason: email.skip };
    }
    transport = smtpTransport(deps.mail.smtpUrl);
    await transport.sendMail({
      from: { name: email.storeName, address: sender(deps.mail.from).address },
      to: claimed.recipient,
      ...(email.replyTo ? { replyTo: email.replyTo } : {}),
      ...(email.bcc ? { bcc: email.bcc } : {}),
      messageId,
      subject: email.subject,
      html: email.html,
      text: email.text,
      // However the server trickles its replies, the attempt ends well inside its lease.
      signal: AbortSignal.timeout(SMTP_ATTEMPT_DEADLINE_MS),
    });
  } catch (error) {
    // The socket is closed by now (nodemailer closes it on any error or abort): we send
    // nothing more, so the next attempt may go at once.
    await settle('failed', error instanceof Error ? error.message : String(error));
    throw error;
  } finally {
    transport?.close();
  }
  await settle('sent', null);
  return { status: 'sent', messageId };
}

/**
 * One connection per e-mail with every timeout under the attempt's deadline (nodemailer's
 * defaults run to minutes), destroying the socket on close rather than waiting on the server,
 * so no late byte of ours can complete a message after the attempt gave up on it.
 */
function smtpTransport(smtpUrl: string) {
  return nodemailer.createTransport({
    url: smtpUrl,
    connectionTimeout: SMTP_STEP_TIMEOUT_MS,
    greetingTimeout: SMTP_STEP_TIMEOUT_MS,
    socketTimeout: SMTP_STEP_TIMEOUT_MS,
    dnsTimeout: SMTP_STEP_TIMEOUT_MS,
    socketCloseTimeout: 0,
  });
}
