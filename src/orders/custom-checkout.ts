import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/schema';
import { recordEvent } from '../events/record';
import { RateSourceError, type RateSource } from '../gateways/crypto/rate-source';
import { howToPay } from './buyer-custom-payment';
import { flagForReview, reviewReason } from './custom-payment-review';
import { filledRedirectUrl, needsUsdRate } from './custom-redirect';
import { priceInUsd, type UsdCrossRate, usdCrossRate } from './price-usd';
import { CheckoutError } from './errors';
import { transitionInvoice } from './invoice-transitions';
import { orderTokenHash } from './buyer-order';

/**
 * Checkout with one of the store's custom payment methods: nothing is charged here. The buyer is
 * shown the method's instructions and steps, or sent to the seller's page with the invoice's
 * variables filled in; the seller confirms the payment by hand (mark completed, or void).
 *
 * The first checkout records `order.pending`. A method that asks for proof waits PENDING for it
 * (payment-proof.ts moves it on); any other goes to REVIEW at once with
 * `order.payment_review_required`, flagged for the seller, and no timer voids it from there.
 */
export interface CustomCheckout extends ReturnType<typeof howToPay> {
  skip_interstitial_page: boolean;
  show_processing_status_page: boolean;
  /** Redirect methods: the seller's page with the invoice's variables filled in (each URL-encoded). */
  redirect_url: string | null;
  /** What the buyer pays, the method's fee or discount included, as the invoice says it. */
  total: string;
  currency: string;
  /**
   * The buyer's order token: it follows the order and sends the proof. Only when this checkout
   * issued it (fast checkout hands out its own); null when the invoice already had one.
   */
  order_token: string | null;
}

export interface CustomCheckoutInvoice {
  id: number;
  store_id: number;
  livemode: boolean;
}

type StoredCustomData = { custom_checkout_started_at?: string; custom_price_usd?: string };

/**
 * The rate a redirect's `{price_usd}` needs, asked before the checkout's transaction: only for a
 * template naming it, an invoice in another currency, and no price in dollars kept yet. No rate
 * to be had refuses the checkout as the crypto checkout does (503 when asking again may help,
 * else 422 `rate_unavailable`): the seller's page would get no price.
 */
async function rateForRedirect(db: Db, invoiceId: number, rates: RateSource): Promise<UsdCrossRate | null> {
  const row = await db
    .selectFrom('invoices as i')
    .innerJoin('custom_payment_methods as m', 'm.id', 'i.custom_payment_method_id')
    .select(['i.currency', 'i.gateway', 'm.type', 'm.redirect_url'])
    .where('i.id', '=', invoiceId)
    .executeTakeFirst();
  if (!row || row.type !== 'redirect' || !needsUsdRate(row.redirect_url, row.currency)) return null;
  if ((row.gateway as { data?: StoredCustomData } | null)?.data?.custom_price_usd) return null;
  try {
    return await usdCrossRate(rates, row.currency);
  } catch (error) {
    if (!(error instanceof RateSourceError)) throw error;
    throw new CheckoutError(
      error.retryable ? 'unavailable' : 'unprocessable',
      'rate_unavailable',
      `No ${row.currency}/USD rate for the payment page's {price_usd}: ${error.message}`,
      'payment_method',
    );
  }
}

export async function openCustomCheckout(
  db: Db,
  invoiceRef: CustomCheckoutInvoice,
  options: { statusToken?: string; rates?: RateSource } = {},
) {
  const rate = options.rates ? await rateForRedirect(db, invoiceRef.id, options.rates) : null;
  return db.transaction().execute(async (trx): Promise<CustomCheckout> => {
    const invoice = await trx
      .selectFrom('invoices')
      .select(['id', 'status', 'customer_email', 'currency', 'total_cents', 'custom_payment_method_id', 'status_token_hash', 'gateway'])
      .where('id', '=', invoiceRef.id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const method = invoice.custom_payment_method_id
      ? await trx
          .selectFrom('custom_payment_methods')
          .selectAll()
          .where('id', '=', invoice.custom_payment_method_id)
          .where('store_id', '=', invoiceRef.store_id)
          .where('deleted_at', 'is', null)
          .where('enabled', '=', true)
          .executeTakeFirst()
      : undefined;
    if (!method)
      throw new CheckoutError(
        'unprocessable',
        'gateway_not_configured',
        'The custom payment method of this invoice is disabled or deleted; the seller can still mark the invoice completed',
        'payment_method',
      );
    if (invoice.status !== 'PENDING' && invoice.status !== 'REVIEW')
      throw new CheckoutError('conflict', 'invalid_status', `The invoice is ${invoice.status}: it cannot be checked out`, 'status');

    let orderToken: string | null = null;
    if (!invoice.status_token_hash) {
      orderToken = options.statusToken ?? `fco_${randomBytes(24).toString('base64url')}`;
      await trx
        .updateTable('invoices')
        .set({ status_token_hash: orderTokenHash(orderToken) })
        .where('id', '=', invoice.id)
        .execute();
    } else if (options.statusToken && orderTokenHash(options.statusToken) === invoice.status_token_hash) {
      orderToken = options.statusToken;
    }

    const stored = (invoice.gateway as { data?: StoredCustomData } | null)?.data ?? {};
    // The price in dollars is kept at the first checkout that needs it: the page's link stays the same.
    const priceUsd = stored.custom_price_usd ?? (rate && rate.currency === invoice.currency ? priceInUsd(invoice.total_cents, rate) : null);
    if (priceUsd && !stored.custom_price_usd)
      await trx
        .updateTable('invoices')
        .set({
          gateway: sql`jsonb_set(gateway, '{data}', coalesce(gateway->'data', '{}'::jsonb) || ${JSON.stringify({ custom_price_usd: priceUsd })}::jsonb)`,
        })
        .where('id', '=', invoice.id)
        .execute();

    // Once per invoice: a repeated checkout shows the same page and records nothing new.
    const started = stored.custom_checkout_started_at;
    if (!started) {
      const data = { custom_payment_method_id: method.id, custom_checkout_started_at: new Date().toISOString() };
      await trx
        .updateTable('invoices')
        .set({ gateway: sql`jsonb_set(gateway, '{data}', coalesce(gateway->'data', '{}'::jsonb) || ${JSON.stringify(data)}::jsonb)` })
        .where('id', '=', invoice.id)
        .execute();
      await recordEvent(trx, {
        storeId: invoiceRef.store_id,
        livemode: invoiceRef.livemode,
        type: 'order.pending',
        data: { id: invoice.id, custom_payment_method_id: method.id, require_proof_of_payment: method.require_proof_of_payment },
      });
      if (!method.require_proof_of_payment && invoice.status === 'PENDING') {
        await transitionInvoice(trx, invoice.id, 'REVIEW', { event: 'order.payment_review_required' });
        await flagForReview(trx, invoice.id, reviewReason(method.name, false));
      }
    }

    return {
      ...howToPay(method),
      skip_interstitial_page: method.skip_interstitial_page,
      show_processing_status_page: method.show_processing_status_page,
      redirect_url:
        method.type === 'redirect' && method.redirect_url ? await filledRedirectUrl(trx, invoice, method.redirect_url, priceUsd) : null,
      total: String(invoice.total_cents),
      currency: invoice.currency,
      order_token: orderToken,
    };
  });
}
