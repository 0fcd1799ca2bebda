import { assertRequiredLinks } from '../community/customer-links';
import type { BillingInterval } from '../domain/billing-interval';
import { CUSTOM_PAYMENT_METHOD } from '../domain/custom-payment-method';
import { CRYPTO_PAYMENT_METHODS } from '../domain/payment-methods';
import { rateSourceFor } from '../gateways/crypto/chain-access';
import { cryptoGatewayData } from '../gateways/crypto/crypto-payment-view';
import { CryptoCheckoutError, openCryptoPayment } from '../gateways/crypto/open-crypto-payment';
import { WalletSettingsError } from '../gateways/crypto/wallet-settings';
import { gatewaySettings, type StripeSettings } from '../gateways/gateway-settings';
import type { PaypalGateway } from '../gateways/paypal/paypal-gateway';
import type { StripeGateway } from '../gateways/stripe-gateway';
import { deliverIntents, type EngineConnection } from '../outbox/engine-intents';
import type { SecretBox } from '../security/secret-box';
import { type CustomCheckout, openCustomCheckout } from './custom-checkout';
import { CheckoutError } from './errors';
import { markInvoicePaid } from './mark-paid';
import { openPaypalOrder } from './paypal-checkout';
import { openPaypalSubscription, subscriptionLineOf } from './paypal-subscription-checkout';
import { checkoutSessionAttempt, recordCheckoutSession } from './stripe-checkout-record';

export interface CheckoutDependencies {
  engine: EngineConnection;
  stripe: StripeGateway;
  paypal: PaypalGateway;
  secrets: SecretBox;
  publicBaseUrl: string;
}

export interface CheckoutInvoice {
  id: number;
  store_id: number;
  status: string;
  expires_at: Date;
  total_cents: number;
  payment_method: string;
  livemode: boolean;
  currency: string;
  customer_email: string | null;
}

export type CheckoutOutcome =
  | { kind: 'free' }
  | { kind: 'crypto'; crypto: Awaited<ReturnType<typeof cryptoGatewayData>> }
  | { kind: 'stripe'; paymentUrl: string }
  | { kind: 'paypal'; paymentUrl: string }
  | { kind: 'custom'; custom: CustomCheckout };

export interface CheckoutOptions {
  /** Where Stripe or PayPal sends the buyer back (paid or not), instead of the invoice's page: the hosted order status page. */
  returnUrl?: string;
  /** The buyer's order token when the caller issued it (fast checkout): a custom method's checkout hands it back. */
  statusToken?: string;
}

/**
 * Opens the payment of a pending invoice with its gateway: a crypto quote and address (the
 * watcher workflow is owed in the payment's own transaction and told through the engine
 * outbox), a Stripe Checkout Session, or a PayPal order. A zero total is paid at once and goes to delivery.
 */
export async function checkout(
  deps: CheckoutDependencies,
  store: { slug: string },
  invoice: CheckoutInvoice,
  options: CheckoutOptions = {},
): Promise<CheckoutOutcome> {
  const custom = invoice.payment_method === CUSTOM_PAYMENT_METHOD && invoice.total_cents > 0;
  // A custom method's page is shown again while the seller reviews the order.
  if (custom && invoice.status === 'REVIEW')
    return {
      kind: 'custom',
      custom: await openCustomCheckout(deps.engine.db, invoice, { ...options, rates: rateSourceFor(deps.engine.crypto) }),
    };
  if (invoice.status !== 'PENDING')
    throw new CheckoutError(
      'conflict',
      'invalid_status',
      `The invoice is ${invoice.status}: only a PENDING invoice can be checked out`,
      'status',
    );
  // Community access that needs the customer's account refuses payment until it is linked.
  await assertRequiredLinks(deps.engine.db, invoice.id);
  if (invoice.total_cents === 0) {
    await markInvoicePaid(deps.engine, invoice, 'free');
    return { kind: 'free' };
  }
  if ((CRYPTO_PAYMENT_METHODS as readonly string[]).includes(invoice.payment_method)) return cryptoCheckout(deps, invoice);
  if (invoice.payment_method === 'STRIPE') return stripeCheckout(deps, store, invoice, options);
  if (invoice.payment_method === 'PAYPAL') {
    const invoicePage = `${deps.publicBaseUrl}/stores/${store.slug}/invoices/${invoice.id}`;
    const returnTo = options.returnUrl ?? invoicePage;
    const line = await subscriptionLineOf(deps.engine.db, invoice.id);
    const paypal = { ...deps, db: deps.engine.db };
    const opened = line
      ? await openPaypalSubscription(paypal, store, invoice, line, returnTo)
      : await openPaypalOrder(paypal, store, invoice, returnTo);
    if (!opened) throw notConfigured(invoice);
    return { kind: 'paypal', paymentUrl: opened.paymentUrl };
  }
  if (custom)
    return {
      kind: 'custom',
      custom: await openCustomCheckout(deps.engine.db, invoice, { ...options, rates: rateSourceFor(deps.engine.crypto) }),
    };
  throw notConfigured(invoice);
}

function notConfigured(invoice: CheckoutInvoice): CheckoutError {
  return new CheckoutError(
    'unprocessable',
    'gateway_not_configured',
    `No ${invoice.payment_method} gateway is configured for this store${invoice.livemode ? '' : ' in test mode'}; the seller can still review and mark the invoice completed`,
    'payment_method',
  );
}

async function cryptoCheckout(deps: CheckoutDependencies, invoice: CheckoutInvoice): Promise<CheckoutOutcome> {
  if (!invoice.livemode)
    throw new CheckoutError(
      'unprocessable',
      'gateway_not_configured',
      'Crypto payments have no test mode; the seller can mark a test invoice completed',
      'payment_method',
    );
  let watcherIntent: number | null;
  try {
    watcherIntent = await openCryptoPayment(deps.engine.db, deps.secrets, deps.engine.crypto, invoice);
  } catch (error) {
    if (error instanceof WalletSettingsError) throw notConfigured(invoice);
    if (error instanceof CryptoCheckoutError) {
      if (error.code === 'invalid_status') throw new CheckoutError('conflict', error.code, error.message, 'status');
      throw new CheckoutError(error.retryable ? 'unavailable' : 'unprocessable', error.code, error.message, 'payment_method');
    }
    throw error;
  }
  await deliverIntents(deps.engine, { ids: watcherIntent === null ? [] : [watcherIntent] });
  return { kind: 'crypto', crypto: await cryptoGatewayData(deps.engine.db, invoice.id) };
}

async function stripeCheckout(
  deps: CheckoutDependencies,
  store: { slug: string },
  invoice: CheckoutInvoice,
  options: CheckoutOptions,
): Promise<CheckoutOutcome> {
  const { db } = deps.engine;
  const stripe = await gatewaySettings<StripeSettings>(db, deps.secrets, invoice.store_id, 'STRIPE');
  // Test-mode invoices only ever use the test key: they never reach a live gateway.
  const key = invoice.livemode ? stripe?.settings.secret_key : stripe?.settings.test_secret_key;
  if (!stripe?.enabled || !key) throw notConfigured(invoice);
  const lines = await db
    .selectFrom('invoice_lines as l')
    .innerJoin('product_variants as v', 'v.id', 'l.variant_id')
    .select(['l.title', 'l.quantity', 'l.unit_price_cents', 'l.total_cents', 'v.pricing_type', 'v.frequency_interval', 'v.frequency_value'])
    .where('l.invoice_id', '=', invoice.id)
    .orderBy('l.id')
    .execute();
  const subscription = lines.find((l) => l.pricing_type === 'SUBSCRIPTION' && l.frequency_interval);
  // One Stripe line per invoice line when that is exact; with discounts, fees or an
  // extra, one line for the whole invoice so Stripe charges exactly our total.
  const exact =
    lines.every((l) => l.total_cents === l.unit_price_cents * l.quantity) &&
    lines.reduce((sum, l) => sum + l.total_cents, 0) === invoice.total_cents;
  const invoicePage = `${deps.publicBaseUrl}/stores/${store.slug}/invoices/${invoice.id}`;
  const { gateway } = await db.selectFrom('invoices').select('gateway').where('id', '=', invoice.id).executeTakeFirstOrThrow();
  const session = await deps.stripe.createCheckoutSession(key, {
    attempt: checkoutSessionAttempt(gateway, new Date()),
    invoiceId: invoice.id,
    storeId: invoice.store_id,
    currency: invoice.currency,
    lineItems: exact
      ? lines.map((l) => ({ name: l.title, unitAmountCents: l.unit_price_cents, quantity: l.quantity }))
      : [
          {
            name: `Invoice #${invoice.id}: ${lines.map((l) => `${l.quantity} × ${l.title}`).join(', ')}`.slice(0, 250),
            unitAmountCents: invoice.total_cents,
            quantity: 1,
          },
        ],
    customerEmail: invoice.customer_email,
    recurring: subscription
      ? { interval: subscription.frequency_interval as BillingInterval, intervalCount: subscription.frequency_value ?? 1 }
      : undefined,
    successUrl: `${options.returnUrl ?? invoicePage}?checkout=success`,
    cancelUrl: `${options.returnUrl ?? invoicePage}?checkout=cancelled`,
  });
  // Its events are matched to this invoice by the session id, never by the id they name.
  await recordCheckoutSession(db, invoice.id, session);
  return { kind: 'stripe', paymentUrl: session.url };
}
