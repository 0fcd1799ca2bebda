import type { Db, DbExecutor } from '../db/schema';
import { MAX_DOWNLOAD_URL_TTL_SECONDS, type ObjectStorage } from '../storage/object-storage';
import type { NotificationConfig } from '../webhooks/notifications';
import { type BuyerEmailOutcome, sendBuyerEmailOnce } from './buyer-email';
import { lockOrderForCommunityLinks } from './community-link-lock';
import { type DeliveryEmailContent, renderDeliveryEmail } from './delivery-email-template';
import { flagInvoiceForAttention } from './invoice-attention';
import { refundedLineIds } from '../refunds/refunded-lines';

/** The order workflow's own e-mail; every resend brings a key of its own. */
export const ORDER_SEND_KEY = 'order';
/** Download links in the e-mail last as long as a link can be signed for (S3's seven days). */
export const DELIVERY_EMAIL_LINK_TTL_SECONDS = MAX_DOWNLOAD_URL_TTL_SECONDS;
/** attention_reason of an order whose e-mail failed: a later successful send clears only this flag. */
export const DELIVERY_EMAIL_ATTENTION = 'Delivery e-mail not sent: ';

export interface DeliveryEmailDependencies {
  db: Db;
  storage: ObjectStorage;
  mail: Pick<NotificationConfig, 'smtpUrl' | 'from'>;
}

export interface DeliveryEmailRequest {
  sendKey: string;
  /** Send to this address instead of the invoice's customer. */
  email?: string;
  /** Only these lines' variants (all lines when absent). */
  productVariantIds?: number[];
  now?: number;
}

export type DeliveryEmailOutcome = BuyerEmailOutcome;

/**
 * Everything the invoice's lines handed over (but lines refunded whole), download links signed
 * for the e-mail's lifetime. The invite links are all the order's, or with `linksFor` those of
 * that e-mail (its send key): it takes every link no e-mail carries yet and leaves out one that
 * another carries, so each link reaches the buyer once.
 */
export async function deliveryEmailContent(
  deps: Pick<DeliveryEmailDependencies, 'db' | 'storage'>,
  invoiceId: number,
  options: { storeName: string; replacementOf?: number | null; productVariantIds?: number[]; now?: number; linksFor?: string },
): Promise<DeliveryEmailContent> {
  const now = options.now ?? Date.now();
  let linesQuery = deps.db
    .selectFrom('invoice_lines')
    .select(['id', 'title', 'quantity'])
    .where('invoice_id', '=', invoiceId)
    .orderBy('id');
  if (options.productVariantIds?.length) linesQuery = linesQuery.where('variant_id', 'in', options.productVariantIds);
  // A line refunded whole was taken back (its keys disabled, its access revoked): its goods are not sent again.
  const refunded = await refundedLineIds(deps.db, [invoiceId]);
  const lines = (await linesQuery.execute()).filter((line) => !refunded.has(line.id));
  const steps = await deps.db
    .selectFrom('delivery_steps')
    .select(['line_id', 'kind', 'result'])
    .where('invoice_id', '=', invoiceId)
    .where('status', '=', 'delivered')
    .execute();
  const linked = (db: DbExecutor) =>
    db
      .selectFrom('community_grants as g')
      .innerJoin('community_spaces as s', 's.id', 'g.space_id')
      .select(['g.platform', 's.name', 'g.invite_url'])
      .where('g.invoice_id', '=', invoiceId)
      .where('g.invite_url', 'is not', null)
      .where('g.revoked_at', 'is', null)
      .orderBy('g.id');
  const { linksFor } = options;
  const grants = linksFor
    ? // Under the lock a new invite link takes (community-link-lock.ts): this e-mail or one of its own carries it.
      await deps.db.transaction().execute(async (trx) => {
        await lockOrderForCommunityLinks(trx, invoiceId);
        await trx
          .updateTable('community_grants')
          .set({ link_email_key: linksFor })
          .where('invoice_id', '=', invoiceId)
          .where('invite_url', 'is not', null)
          .where('revoked_at', 'is', null)
          .where('link_email_key', 'is', null)
          .execute();
        return linked(trx).where('g.link_email_key', '=', linksFor).execute();
      })
    : await linked(deps.db).execute();
  const content: DeliveryEmailContent = {
    storeName: options.storeName,
    invoiceId,
    replacementOf: options.replacementOf ?? null,
    lines: [],
    community: grants.map((g) => ({ platform: g.platform, space: g.name ?? g.platform, inviteUrl: g.invite_url! })),
    linksExpireAt: new Date(now + DELIVERY_EMAIL_LINK_TTL_SECONDS * 1000),
  };
  for (const line of lines) {
    const result = (kind: string) => steps.find((s) => s.line_id === line.id && s.kind === kind)?.result ?? {};
    const files = (result('downloads').files as { storageKey: string; fileName: string }[] | undefined) ?? [];
    content.lines.push({
      title: line.title,
      quantity: line.quantity,
      serials: (result('serials').serials as string[] | undefined) ?? [],
      licenseKeys: (result('license_keys').license_keys as string[] | undefined) ?? [],
      files: await Promise.all(
        files.map(async (f) => ({
          name: f.fileName,
          url: (await deps.storage.presignDownload(f.storageKey, f.fileName, now, DELIVERY_EMAIL_LINK_TTL_SECONDS)).url,
        })),
      ),
      dynamic: (result('dynamic').dynamic as string | undefined) ?? '',
      manual: (result('manual').manual as string | undefined) ?? '',
    });
  }
  return content;
}

/**
 * Sends a delivered invoice's e-mail to its buyer once per `sendKey` (see buyer-email.ts): a
 * retry that finds it sent (or skipped) sends nothing. A send that fails is recorded with its
 * reason and throws, for the caller to retry or flag.
 */
export async function sendDeliveryEmail(
  deps: DeliveryEmailDependencies,
  invoiceId: number,
  request: DeliveryEmailRequest,
): Promise<DeliveryEmailOutcome> {
  const invoice = await deps.db
    .selectFrom('invoices as i')
    .innerJoin('stores as s', 's.id', 'i.store_id')
    .select([
      'i.status',
      'i.customer_email',
      'i.replacement_of',
      's.name as store_name',
      's.reply_to_email',
      's.send_delivery_email',
      's.trustpilot_email',
    ])
    .where('i.id', '=', invoiceId)
    .executeTakeFirstOrThrow();
  if (invoice.status !== 'COMPLETED') return { status: 'skipped', reason: `The invoice is ${invoice.status}, not delivered` };
  // The seller turned delivery e-mails off: the order's own e-mail is not sent. An explicit resend
  // still is, and so is a replacement's (the seller issued it to hand the buyer new goods).
  if (!invoice.send_delivery_email && request.sendKey === ORDER_SEND_KEY && invoice.replacement_of === null)
    return { status: 'skipped', reason: 'The store does not send delivery e-mails (Send Delivery Email is off)' };
  return sendBuyerEmailOnce(deps, invoiceId, request.sendKey, request.email ?? invoice.customer_email, async () => {
    const content = await deliveryEmailContent(deps, invoiceId, {
      storeName: invoice.store_name,
      replacementOf: invoice.replacement_of,
      productVariantIds: request.productVariantIds,
      now: request.now,
      // The order's own e-mail shares the links with their late e-mails; a resend hands over all of them again.
      linksFor: request.sendKey === ORDER_SEND_KEY ? ORDER_SEND_KEY : undefined,
    });
    return {
      ...renderDeliveryEmail(content),
      storeName: invoice.store_name,
      replyTo: invoice.reply_to_email,
      bcc: invoice.trustpilot_email,
    };
  });
}

/** A delivered order whose e-mail could not go out: flagged for ops with the reason (the order stays COMPLETED). */
export async function flagDeliveryEmailFailure(db: Db, invoiceId: number, reason: string): Promise<void> {
  await db.transaction().execute((trx) => flagInvoiceForAttention(trx, invoiceId, `${DELIVERY_EMAIL_ATTENTION}${reason}`.slice(0, 1000)));
}

/** A resend went out: the e-mail flag (and only that one) comes off. */
export async function clearDeliveryEmailFailure(db: Db, invoiceId: number): Promise<void> {
  await db
    .updateTable('invoices')
    .set({ needs_attention: false, attention_reason: null, updated_at: new Date() })
    .where('id', '=', invoiceId)
    .where('needs_attention', '=', true)
    .where('attention_reason', 'like', `${DELIVERY_EMAIL_ATTENTION}%`)
    .execute();
}
