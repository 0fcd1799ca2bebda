import type { Db, DbExecutor } from '../db/schema';
import { accessEndsAt } from '../domain/subscription-lifecycle';
import { recordIntent } from '../outbox/record-intent';
import { capabilitiesOf } from '../subscriptions/capabilities';
import { graceMs } from '../subscriptions/subscription-records';
import { type BuyerEmailDependencies, type BuyerEmailOutcome, sendBuyerEmailOnce } from './buyer-email';
import { renderBuyerNotice } from './buyer-notice-template';
import { formatAmount } from './checkout-reminder-template';
import { ORDER_SEND_KEY } from './delivery-email';

/**
 * The buyer's e-mails after the delivery e-mail, each once per event (a delivery_emails row
 * under the order's invoice and the event's key): a renewal's receipt (per provider invoice),
 * a failed renewal payment (per failure), an invite link that came after the delivery e-mail
 * (per grant).
 */
export type BuyerNotice =
  | { kind: 'renewal_receipt'; paymentId: number }
  | { kind: 'payment_failed'; subscriptionId: number; failedAt: string }
  | { kind: 'community_link'; grantId: number };

export function buyerNoticeKey(notice: BuyerNotice): string {
  switch (notice.kind) {
    case 'renewal_receipt':
      return `renewal-receipt-${notice.paymentId}`;
    case 'payment_failed':
      return `payment-failed-${notice.subscriptionId}-${Date.parse(notice.failedAt)}`;
    case 'community_link':
      return `community-link-${notice.grantId}`;
  }
}

/** In the event's own transaction: the notice is owed, and the outbox starts its workflow. */
export async function recordBuyerNotice(trx: DbExecutor, invoiceId: number, notice: BuyerNotice): Promise<void> {
  await recordIntent(trx, { kind: 'buyer_notice.send', subjectId: invoiceId, detail: { notice: JSON.stringify(notice) } });
}

/** A renewal was paid (a subscription payment after the first): its receipt is owed. */
export async function noticeRenewalPaid(trx: DbExecutor, subscriptionId: number, providerInvoiceId: string): Promise<void> {
  const payments = await trx
    .selectFrom('subscription_payments as p')
    .innerJoin('subscriptions as s', 's.id', 'p.subscription_id')
    .select(['p.id', 'p.provider_invoice_id', 's.invoice_id'])
    .where('p.subscription_id', '=', subscriptionId)
    .orderBy('p.period_start')
    .execute();
  const payment = payments.find((p) => p.provider_invoice_id === providerInvoiceId);
  // The first payment is the order itself: its buyer got the delivery e-mail.
  if (!payment || payments[0] === payment) return;
  await recordBuyerNotice(trx, payment.invoice_id, { kind: 'renewal_receipt', paymentId: payment.id });
}

/**
 * A grant's invite link arrived: when the order's delivery e-mail is already out (or going),
 * the link gets an e-mail of its own, and the grant says so (link_email_key), so that the
 * delivery e-mail, should it read the grants after this, leaves the link out. Before that, the
 * delivery e-mail carries it. The caller holds lockOrderForCommunityLinks.
 */
export async function noticeLateCommunityLink(trx: DbExecutor, grantId: number, invoiceId: number): Promise<void> {
  const delivered = await trx
    .selectFrom('delivery_emails')
    .select('id')
    .where('invoice_id', '=', invoiceId)
    .where('send_key', '=', ORDER_SEND_KEY)
    .executeTakeFirst();
  if (!delivered) return;
  const notice: BuyerNotice = { kind: 'community_link', grantId };
  await trx
    .updateTable('community_grants')
    .set({ link_email_key: buyerNoticeKey(notice) })
    .where('id', '=', grantId)
    .execute();
  await recordBuyerNotice(trx, invoiceId, notice);
}

export interface BuyerNoticeDependencies extends BuyerEmailDependencies {
  db: Db;
  /** PUBLIC_BASE_URL: where the buyer's customer portal lives. */
  publicBaseUrl: string;
}

const dateOf = (d: Date) => d.toUTCString();

/** Sends the notice once (a retry finds it sent); what it says is read when it is sent. */
export async function sendBuyerNotice(deps: BuyerNoticeDependencies, invoiceId: number, notice: BuyerNotice): Promise<BuyerEmailOutcome> {
  const store = await deps.db
    .selectFrom('invoices as i')
    .innerJoin('stores as s', 's.id', 'i.store_id')
    .select(['i.customer_email', 's.name', 's.slug', 's.reply_to_email'])
    .where('i.id', '=', invoiceId)
    .executeTakeFirstOrThrow();
  const common = { storeName: store.name, replyTo: store.reply_to_email };
  const key = buyerNoticeKey(notice);
  switch (notice.kind) {
    case 'renewal_receipt': {
      const p = await deps.db
        .selectFrom('subscription_payments as p')
        .innerJoin('subscriptions as s', 's.id', 'p.subscription_id')
        .innerJoin('product_variants as v', 'v.id', 's.product_variant_id')
        .innerJoin('products as pr', 'pr.id', 'v.product_id')
        .select([
          'p.amount_cents',
          'p.currency',
          'p.period_start',
          'p.period_end',
          'p.paid_at',
          's.customer_email',
          'pr.title',
          'v.title as variant',
        ])
        .where('p.id', '=', notice.paymentId)
        .executeTakeFirstOrThrow();
      return sendBuyerEmailOnce(deps, invoiceId, key, p.customer_email, async () => ({
        ...common,
        ...renderBuyerNotice({
          storeName: store.name,
          subject: `${store.name}: receipt for your ${p.title} renewal`,
          paragraphs: [`Thank you: your subscription to ${p.title} (${p.variant}) renewed.`],
          facts: [
            { label: 'Amount paid', value: formatAmount(p.amount_cents, p.currency) },
            { label: 'Paid on', value: dateOf(p.paid_at) },
            { label: 'Period', value: `${dateOf(p.period_start)} to ${dateOf(p.period_end)}` },
            { label: 'Order', value: `#${invoiceId}` },
          ],
          link: null,
        }),
      }));
    }
    case 'payment_failed': {
      const s = await deps.db
        .selectFrom('subscriptions as s')
        .innerJoin('product_variants as v', 'v.id', 's.product_variant_id')
        .innerJoin('products as pr', 'pr.id', 'v.product_id')
        .select([
          's.id',
          's.store_id',
          's.customer_email',
          's.current_period_end',
          's.status',
          's.provider',
          's.cancel_at_period_end',
          's.cancellation_in_progress',
          's.ended_at',
          's.paused_at',
          'pr.title',
          'v.title as variant',
        ])
        .where('s.id', '=', notice.subscriptionId)
        .executeTakeFirstOrThrow();
      const endsAt = accessEndsAt(
        { currentPeriodEnd: s.current_period_end, cancelAtPeriodEnd: s.cancel_at_period_end },
        await graceMs(deps.db, s.store_id),
      );
      // The customer portal's page for the subscription, where the card is replaced, when the provider lets it be.
      const updatable = capabilitiesOf(s).update_payment_method?.allowed ?? false;
      return sendBuyerEmailOnce(deps, invoiceId, key, s.customer_email, async () => ({
        ...common,
        ...renderBuyerNotice({
          storeName: store.name,
          subject: `${store.name}: your subscription payment failed`,
          paragraphs: [
            `We could not charge the renewal of "${s.title} — ${s.variant}".`,
            `Your access continues until ${dateOf(endsAt)}; update your payment method before then to keep it.`,
          ],
          facts: [],
          link: updatable
            ? {
                label: 'Update your payment method',
                url: `${deps.publicBaseUrl}/stores/${store.slug}/customer-portal/subscriptions/${s.id}`,
              }
            : null,
        }),
      }));
    }
    case 'community_link': {
      const g = await deps.db
        .selectFrom('community_grants as g')
        .innerJoin('community_spaces as sp', 'sp.id', 'g.space_id')
        .select(['g.platform', 'g.invite_url', 'g.revoked_at', 'sp.name'])
        .where('g.id', '=', notice.grantId)
        .executeTakeFirstOrThrow();
      return sendBuyerEmailOnce(deps, invoiceId, key, store.customer_email, async () => {
        if (!g.invite_url || g.revoked_at) return { skip: 'The grant has no invite link (revoked or not made)' };
        const space = g.name ?? g.platform;
        return {
          ...common,
          ...renderBuyerNotice({
            storeName: store.name,
            subject: `${store.name}: your invite to ${space}`,
            paragraphs: [`Your access to ${space} (${g.platform}) for order #${invoiceId} is ready.`],
            facts: [],
            link: { label: `Join ${space}`, url: g.invite_url },
          }),
        };
      });
    }
  }
}
