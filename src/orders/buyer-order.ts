import { createHash } from 'node:crypto';
import { CatalogNotFoundError } from '../catalog/errors';
import type { Db } from '../db/schema';
import { CRYPTO_PAYMENT_METHODS } from '../domain/payment-methods';
import type { ObjectStorage } from '../storage/object-storage';
import { buyerCustomPayment } from './buyer-custom-payment';
import { deliveryEmailContent } from './delivery-email';
import { postPurchaseRedirects } from './post-purchase-redirect';

/** Only the hash of a buyer's order token is kept (invoices.status_token_hash). */
export const orderTokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

/** Statuses after which nothing more happens for the buyer to wait for. */
const SETTLED = ['COMPLETED', 'VOIDED', 'REFUNDED', 'REVERSED', 'FAILED'];

/**
 * The order as its buyer sees it, found by the token only they hold (or by id behind the invoice
 * page's signature, ./invoice-checkout-link.ts; never by a bare id): its
 * status, what it costs, where to pay while it waits (the Stripe page, or the crypto address and
 * what has arrived), what it delivered, and where the seller sends them once it is completed.
 * Nothing of the seller's side (notes, attention, other orders) and not the buyer's own details.
 */
export async function buyerOrder(
  deps: { db: Db; storage: ObjectStorage },
  store: { id: number; name: string },
  by: { token: string } | { invoiceId: number },
) {
  let query = deps.db
    .selectFrom('invoices')
    .select([
      'id',
      'status',
      'customer_email',
      'payment_method',
      'gateway',
      'currency',
      'total_cents',
      'expires_at',
      'custom_payment_method_id',
    ])
    .where('store_id', '=', store.id)
    .where('kind', '=', 'INVOICE');
  // By the buyer's token, or by id once the caller has checked the invoice page's signature.
  query = 'token' in by ? query.where('status_token_hash', '=', orderTokenHash(by.token)) : query.where('id', '=', by.invoiceId);
  const invoice = await query.executeTakeFirst();
  if (!invoice) throw new CatalogNotFoundError('Order');
  const redirect = (await postPurchaseRedirects(deps.db, [invoice])).get(invoice.id) ?? null;
  const gateway = (invoice.gateway as { data?: Record<string, unknown> }).data ?? {};
  const pending = invoice.status === 'PENDING';
  const checkoutUrl = gateway.checkout_url;
  const opened =
    typeof checkoutUrl === 'string' || typeof gateway.address === 'string' || typeof gateway.custom_checkout_started_at === 'string';
  const crypto =
    (CRYPTO_PAYMENT_METHODS as readonly string[]).includes(invoice.payment_method) && typeof gateway.address === 'string'
      ? {
          currency: invoice.payment_method,
          address: gateway.address,
          amount: String(gateway.amount),
          received: String(gateway.received ?? '0'),
          payment_uri: typeof gateway.payment_uri === 'string' ? gateway.payment_uri : null,
          status: String(gateway.status),
          confirmations: Number(gateway.confirmations ?? 0),
          required_confirmations: Number(gateway.required_confirmations ?? 0),
          expires_at: String(gateway.expires_at),
        }
      : null;
  const priceUsd = typeof gateway.custom_price_usd === 'string' ? gateway.custom_price_usd : null;
  const custom = await buyerCustomPayment(deps.db, invoice, typeof gateway.custom_checkout_started_at === 'string', priceUsd);
  const lines = await deps.db
    .selectFrom('invoice_lines')
    .select(['title', 'quantity'])
    .where('invoice_id', '=', invoice.id)
    .orderBy('id')
    .execute();
  // What the e-mail hands over, download links signed alike; only once something was delivered.
  const delivered = ['PAID', 'COMPLETED'].includes(invoice.status)
    ? await deliveryEmailContent(deps, invoice.id, { storeName: store.name })
    : null;
  return {
    order_id: invoice.id,
    status: invoice.status,
    completed: invoice.status === 'COMPLETED',
    settled: SETTLED.includes(invoice.status),
    payment_method: invoice.payment_method,
    currency: invoice.currency,
    total: String(invoice.total_cents),
    lines,
    payment_url: pending && typeof checkoutUrl === 'string' ? checkoutUrl : null,
    /** Still to be paid and no payment opened yet (a key-created invoice before its checkout). */
    awaiting_checkout: pending && !opened,
    crypto: pending ? crypto : null,
    /** Paid with one of the seller's own methods: how to pay, and whether the proof was sent. */
    custom,
    deliverables: delivered
      ? {
          lines: delivered.lines.map((l) => ({
            title: l.title,
            quantity: l.quantity,
            serials: l.serials,
            license_keys: l.licenseKeys,
            files: l.files,
            dynamic: l.dynamic,
            manual: l.manual,
          })),
          community: delivered.community.map((c) => ({ platform: c.platform, space: c.space, invite_url: c.inviteUrl })),
          links_expire_at: delivered.linksExpireAt.toISOString(),
        }
      : null,
    redirect_url: redirect,
  };
}

export type BuyerOrder = Awaited<ReturnType<typeof buyerOrder>>;
