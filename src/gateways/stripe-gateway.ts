import Stripe from 'stripe';
import type { BillingInterval } from '../domain/billing-interval';
import { GatewayError, type GatewayFailureKind } from './gateway-error';
import { recordGatewayCall } from '../observability/metrics';

const STRIPE_INTERVAL = { DAY: 'day', WEEK: 'week', MONTH: 'month', YEAR: 'year' } as const;

/** A new price for a subscription's item, and the instant the change is prorated from. */
export interface PriceChange {
  subscriptionId: string;
  price: { amountCents: number; currency: string; interval: BillingInterval; intervalCount: number };
  prorationDate: Date;
}

const priceData = (price: PriceChange['price'], product: string) => ({
  currency: price.currency.toLowerCase(),
  product,
  unit_amount: price.amountCents,
  recurring: { interval: STRIPE_INTERVAL[price.interval], interval_count: price.intervalCount },
});

/** A subscription invoice in our terms: what it billed for, and whether it is paid. */
export interface ProviderInvoice {
  id: string;
  paid: boolean;
  /** Only invoices that start or renew the subscription move its period. */
  renews: boolean;
  periodStart: Date | null;
  periodEnd: Date | null;
  amountPaidCents: number;
  currency: string;
  paidAt: Date | null;
  paymentIntentId: string | null;
}

/** A Stripe subscription in our terms (periods live on its items since API 2025-03-31). */
export interface ProviderSubscription {
  status: string;
  cancelAtPeriodEnd: boolean;
  periodStart: Date | null;
  periodEnd: Date | null;
  /** Set when retrieved with its latest invoice expanded. */
  latestInvoice: ProviderInvoice | null;
}

const fromUnix = (seconds: number) => new Date(seconds * 1000);

export class NoPaymentToRefundError extends Error {}

/** A Stripe invoice's id: what a subscription's order records as paid by (its Checkout Session names no PaymentIntent). */
export const isStripeInvoiceId = (id: string) => id.startsWith('in_');

/** Which store setting holds a secret key: the live or the test one (keys are checked on save). */
export function stripeKeySetting(secretKey: string): 'secret_key' | 'test_secret_key' {
  return /^(sk|rk)_test_/.test(secretKey) ? 'test_secret_key' : 'secret_key';
}

const retryAfter = (error: Stripe.errors.StripeError, fallback: number) => {
  const seconds = Number(error.headers?.['retry-after']);
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(Math.ceil(seconds), 3600) : fallback;
};

/**
 * What Stripe's failure means for the seller: their key refused (they fix the named setting),
 * the request refused, or Stripe down or busy (retry later). Other errors are returned as they are.
 */
export function classifyStripeError(error: unknown, setting: 'secret_key' | 'test_secret_key'): unknown {
  if (!(error instanceof Stripe.errors.StripeError)) return error;
  const failure = (kind: GatewayFailureKind, message: string, extra: { setting?: string; retryAfterSeconds?: number } = {}) =>
    new GatewayError('Stripe', kind, message, { providerStatus: error.statusCode, requestId: error.requestId, ...extra });
  const { errors } = Stripe;
  if (error instanceof errors.StripeAuthenticationError || error instanceof errors.StripePermissionError) {
    const mode = setting === 'secret_key' ? 'live' : 'test';
    const refused = error.statusCode === 403 ? 'lacks a permission this needs' : 'was rejected';
    const message = `Stripe says the store's ${mode} secret key (STRIPE payment settings, ${setting}) ${refused}; update that key`;
    return failure('misconfigured', message, { setting });
  }
  if (error instanceof errors.StripeRateLimitError) {
    return failure('rate_limited', 'Stripe is rate limiting this store; retry shortly', { retryAfterSeconds: retryAfter(error, 2) });
  }
  if (error instanceof errors.StripeConnectionError || error instanceof errors.StripeAPIError || (error.statusCode ?? 0) >= 500) {
    return failure('unavailable', 'Stripe could not be reached or failed; retry shortly', { retryAfterSeconds: retryAfter(error, 5) });
  }
  if (error instanceof errors.StripeInvalidRequestError || error instanceof errors.StripeIdempotencyError) {
    return failure('rejected', `Stripe refused the request: ${error.message}`);
  }
  return failure('unavailable', `Stripe answered unexpectedly (${error.type}); retry shortly`, { retryAfterSeconds: 5 });
}

export function providerInvoiceOf(invoice: Stripe.Invoice): ProviderInvoice {
  const line = invoice.lines?.data?.find((l) => l.period) ?? null;
  const payment = invoice.payments?.data?.find((p) => p.payment?.payment_intent);
  const intent = payment?.payment.payment_intent;
  return {
    id: invoice.id ?? '',
    paid: invoice.status === 'paid',
    renews: invoice.billing_reason === 'subscription_create' || invoice.billing_reason === 'subscription_cycle',
    periodStart: line ? fromUnix(line.period.start) : null,
    periodEnd: line ? fromUnix(line.period.end) : null,
    amountPaidCents: invoice.amount_paid,
    currency: invoice.currency,
    paidAt: invoice.status_transitions?.paid_at ? fromUnix(invoice.status_transitions.paid_at) : null,
    paymentIntentId: typeof intent === 'string' ? intent : (intent?.id ?? null),
  };
}

export function providerSubscriptionOf(subscription: Stripe.Subscription): ProviderSubscription {
  const item = subscription.items?.data?.[0];
  const latest = subscription.latest_invoice;
  return {
    status: subscription.status,
    cancelAtPeriodEnd: subscription.cancel_at_period_end,
    periodStart: item ? fromUnix(item.current_period_start) : null,
    periodEnd: item ? fromUnix(item.current_period_end) : null,
    latestInvoice: latest && typeof latest === 'object' ? providerInvoiceOf(latest) : null,
  };
}

/**
 * Stripe through the official SDK. STRIPE_API_BASE points it at another host (stripe-mock
 * in tests); unset, it talks to Stripe.
 */
export class StripeGateway {
  private readonly hostOptions: { host?: string; port?: number; protocol?: 'http' | 'https' };

  constructor(apiBase?: string) {
    if (apiBase) {
      const url = new URL(apiBase);
      this.hostOptions = {
        host: url.hostname,
        port: Number(url.port || (url.protocol === 'http:' ? 80 : 443)),
        protocol: url.protocol === 'http:' ? 'http' : 'https',
      };
    } else {
      this.hostOptions = {};
    }
  }

  client(secretKey: string): Stripe {
    const stripe = new Stripe(secretKey, { ...this.hostOptions, maxNetworkRetries: 2, telemetry: false, timeout: 20_000 });
    stripe.on('response', (answer: Stripe.ResponseEvent) => recordGatewayCall('stripe', answer.status ?? null, answer.elapsed / 1000));
    return stripe;
  }

  /**
   * One Checkout Session per invoice: the idempotency key makes a repeated checkout call
   * return the same session instead of opening a second one.
   */
  async createCheckoutSession(
    secretKey: string,
    input: {
      invoiceId: number;
      storeId: number;
      currency: string;
      /** What the buyer sees; the amounts add up to the invoice total exactly. */
      lineItems: { name: string; unitAmountCents: number; quantity: number }[];
      /** Null: the store does not ask for it, and Stripe's page asks the buyer instead. */
      customerEmail: string | null;
      successUrl: string;
      cancelUrl: string;
      /** Set for a subscription: Checkout opens in subscription mode and bills every period. */
      recurring?: { interval: BillingInterval; intervalCount: number };
      /**
       * Which of the invoice's sessions this is (0: the first): each has its own idempotency key,
       * so a retry answers the same session and a session that expired is followed by a new one.
       */
      attempt?: number;
    },
  ): Promise<{ id: string; url: string; expiresAt: Date | null }> {
    const metadata = { invoice_id: String(input.invoiceId), store_id: String(input.storeId) };
    const recurring = input.recurring
      ? { interval: STRIPE_INTERVAL[input.recurring.interval], interval_count: input.recurring.intervalCount }
      : undefined;
    let session: Stripe.Checkout.Session;
    try {
      session = await this.client(secretKey).checkout.sessions.create(
        {
          mode: recurring ? 'subscription' : 'payment',
          line_items: input.lineItems.map((item) => ({
            quantity: item.quantity,
            price_data: {
              currency: input.currency.toLowerCase(),
              unit_amount: item.unitAmountCents,
              product_data: { name: item.name },
              ...(recurring ? { recurring } : {}),
            },
          })),
          ...(input.customerEmail ? { customer_email: input.customerEmail } : {}),
          client_reference_id: String(input.invoiceId),
          metadata,
          // The metadata follows the subscription onto every renewal invoice it bills.
          ...(recurring ? { subscription_data: { metadata } } : { payment_intent_data: { metadata } }),
          success_url: input.successUrl,
          cancel_url: input.cancelUrl,
        },
        { idempotencyKey: `sellflow-checkout-${input.storeId}-${input.invoiceId}${input.attempt ? `-${input.attempt}` : ''}` },
      );
    } catch (error) {
      throw classifyStripeError(error, stripeKeySetting(secretKey));
    }
    if (!session.url) {
      throw new GatewayError('Stripe', 'unavailable', 'Stripe returned a Checkout Session without a URL', { retryAfterSeconds: 5 });
    }
    return { id: session.id, url: session.url, expiresAt: session.expires_at ? new Date(session.expires_at * 1000) : null };
  }

  /** The subscription as Stripe holds it, or null when Stripe has no such subscription. */
  async retrieveSubscription(secretKey: string, subscriptionId: string): Promise<ProviderSubscription | null> {
    try {
      return providerSubscriptionOf(await this.client(secretKey).subscriptions.retrieve(subscriptionId, { expand: ['latest_invoice'] }));
    } catch (error) {
      if (error instanceof Stripe.errors.StripeInvalidRequestError && error.statusCode === 404) return null;
      throw error;
    }
  }

  /** Schedules (or unschedules) the cancellation at the end of the paid period. */
  async setCancelAtPeriodEnd(
    secretKey: string,
    subscriptionId: string,
    cancelAtPeriodEnd: boolean,
    idempotencyKey: string,
  ): Promise<ProviderSubscription> {
    const subscription = await this.client(secretKey).subscriptions.update(
      subscriptionId,
      { cancel_at_period_end: cancelAtPeriodEnd },
      { idempotencyKey },
    );
    return providerSubscriptionOf(subscription);
  }

  /**
   * Pauses collection (Stripe voids the invoices it would have charged) or lifts the pause. The
   * answer carries the period Stripe is in now: a resumed subscription bills from there.
   */
  async setPauseCollection(
    secretKey: string,
    subscriptionId: string,
    paused: boolean,
    idempotencyKey: string,
  ): Promise<ProviderSubscription> {
    const subscription = await this.client(secretKey).subscriptions.update(
      subscriptionId,
      { pause_collection: paused ? { behavior: 'void' } : '' },
      { idempotencyKey },
    );
    return providerSubscriptionOf(subscription);
  }

  /**
   * What a change of the subscription's price would charge now: Stripe's invoice preview of the
   * item update, prorated as of `prorationDate` and invoiced at once. The confirm passes the
   * same date (changeSubscriptionPrice), so Stripe charges exactly what this previewed.
   */
  async previewPriceChange(
    secretKey: string,
    change: PriceChange,
  ): Promise<{ totalCents: number; amountDueCents: number; currency: string }> {
    const item = await this.subscriptionItem(secretKey, change.subscriptionId);
    const preview = await this.client(secretKey).invoices.createPreview({
      subscription: change.subscriptionId,
      subscription_details: {
        items: [{ id: item.id, price_data: priceData(change.price, item.product) }],
        proration_behavior: 'always_invoice',
        proration_date: Math.floor(change.prorationDate.getTime() / 1000),
      },
    });
    return { totalCents: preview.total, amountDueCents: preview.amount_due, currency: preview.currency };
  }

  /** Moves the subscription's item to the new price, prorated as previewed, on one invoice charged now. */
  async changeSubscriptionPrice(
    secretKey: string,
    change: PriceChange & { idempotencyKey: string },
  ): Promise<{ invoiceId: string | null }> {
    const item = await this.subscriptionItem(secretKey, change.subscriptionId);
    const subscription = await this.client(secretKey).subscriptions.update(
      change.subscriptionId,
      {
        items: [{ id: item.id, price_data: priceData(change.price, item.product) }],
        proration_behavior: 'always_invoice',
        proration_date: Math.floor(change.prorationDate.getTime() / 1000),
      },
      { idempotencyKey: change.idempotencyKey },
    );
    const latest = subscription.latest_invoice;
    return { invoiceId: typeof latest === 'string' ? latest : (latest?.id ?? null) };
  }

  /**
   * Moves the next renewal to `renewalDate` without prorating: Stripe's way is a free period
   * (trial) until then, after which it bills the full price and renews from that date on.
   */
  async shiftRenewalDate(
    secretKey: string,
    subscriptionId: string,
    renewalDate: Date,
    idempotencyKey: string,
  ): Promise<ProviderSubscription> {
    const subscription = await this.client(secretKey).subscriptions.update(
      subscriptionId,
      { trial_end: Math.floor(renewalDate.getTime() / 1000), proration_behavior: 'none' },
      { idempotencyKey },
    );
    return providerSubscriptionOf(subscription);
  }

  /** The subscription's (single) item and the Stripe product its price belongs to. */
  private async subscriptionItem(secretKey: string, subscriptionId: string): Promise<{ id: string; product: string }> {
    const subscription = await this.client(secretKey).subscriptions.retrieve(subscriptionId);
    const item = subscription.items.data[0];
    if (!item) throw new Error(`Stripe subscription ${subscriptionId} has no item`);
    const product = item.price.product;
    return { id: item.id, product: typeof product === 'string' ? product : product.id };
  }

  /** A Stripe-hosted page (the customer portal) where the customer replaces the card their subscription bills. */
  async createPaymentMethodSession(
    secretKey: string,
    input: { customerId: string; returnUrl: string | undefined; idempotencyKey: string },
  ): Promise<string> {
    const session = await this.client(secretKey).billingPortal.sessions.create(
      { customer: input.customerId, ...(input.returnUrl && { return_url: input.returnUrl }) },
      { idempotencyKey: input.idempotencyKey },
    );
    return session.url;
  }

  /** Ends billing now. Canceling one that Stripe already ended is success, not an error. */
  async cancelSubscription(secretKey: string, subscriptionId: string, idempotencyKey: string): Promise<void> {
    try {
      await this.client(secretKey).subscriptions.cancel(subscriptionId, { prorate: false }, { idempotencyKey });
    } catch (error) {
      if (error instanceof Stripe.errors.StripeInvalidRequestError && (error.statusCode === 404 || /canceled/i.test(error.message))) return;
      throw error;
    }
  }

  /**
   * Refunds `amountCents` of one paid Stripe invoice. Its PaymentIntent is looked up through
   * the invoice's payments when the event did not carry it. The idempotency key makes a
   * retried refund return the first one.
   */
  async refundInvoicePayment(
    secretKey: string,
    input: {
      providerInvoiceId: string;
      paymentIntentId: string | null;
      amountCents: number;
      idempotencyKey: string;
      metadata: Record<string, string>;
    },
  ): Promise<{ refundId: string; paymentIntentId: string; status: string | null }> {
    const stripe = this.client(secretKey);
    let paymentIntentId = input.paymentIntentId;
    if (!paymentIntentId) {
      const payments = await stripe.invoicePayments.list({ invoice: input.providerInvoiceId, limit: 10 });
      const paid =
        payments.data.find((p) => p.status === 'paid' && p.payment.payment_intent) ?? payments.data.find((p) => p.payment.payment_intent);
      const intent = paid?.payment.payment_intent;
      paymentIntentId = typeof intent === 'string' ? intent : (intent?.id ?? null);
    }
    if (!paymentIntentId) throw new NoPaymentToRefundError(`Stripe invoice ${input.providerInvoiceId} has no payment to refund`);
    const refund = await stripe.refunds.create(
      { payment_intent: paymentIntentId, amount: input.amountCents, metadata: input.metadata },
      { idempotencyKey: input.idempotencyKey },
    );
    return { refundId: refund.id, paymentIntentId, status: refund.status };
  }

  /** The Stripe invoice a PaymentIntent paid (a subscription's invoice), or null when it paid none. */
  async invoicePaidBy(secretKey: string, paymentIntentId: string): Promise<string | null> {
    const payments = await this.client(secretKey).invoicePayments.list({
      payment: { type: 'payment_intent', payment_intent: paymentIntentId },
      limit: 1,
    });
    const invoice = payments.data[0]?.invoice;
    return typeof invoice === 'string' ? invoice : (invoice?.id ?? null);
  }

  /**
   * Refunds `amountCents` of a PaymentIntent. The idempotency key (one per refund) makes a
   * retried call answer the refund the first call made, never a second refund.
   */
  async refundPayment(
    secretKey: string,
    input: { paymentIntentId: string; amountCents: number; idempotencyKey: string; metadata: Record<string, string> },
  ): Promise<{ refundId: string; status: string | null }> {
    const refund = await this.client(secretKey).refunds.create(
      { payment_intent: input.paymentIntentId, amount: input.amountCents, metadata: input.metadata },
      { idempotencyKey: input.idempotencyKey },
    );
    return { refundId: refund.id, status: refund.status };
  }

  /** Verifies the Stripe-Signature header over the raw body (throws when it does not match). */
  verifyEvent(rawBody: Buffer, signature: string, webhookSecret: string): Stripe.Event {
    return this.client('sk_unused').webhooks.constructEvent(rawBody, signature, webhookSecret);
  }
}
