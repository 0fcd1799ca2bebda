import Stripe from 'stripe';

/**
 * Stripe through the official SDK. STRIPE_API_BASE points it at another host (stripe-mock
 * in tests); unset, it talks to Stripe.
 */
export class StripeGateway {
  private readonly hostOptions: { host?: string; port?: number; protocol?: 'http' | 'https' };

  constructor(apiBase?: string) {
    if (apiBase) {
      const url = new URL(apiBase);
      this.hostOptions = { host: url.hostname, port: Number(url.port || (url.protocol === 'http:' ? 80 : 443)), protocol: url.protocol === 'http:' ? 'http' : 'https' };
    } else {
      this.hostOptions = {};
    }
  }

  client(secretKey: string): Stripe {
    return new Stripe(secretKey, { ...this.hostOptions, maxNetworkRetries: 2, telemetry: false, timeout: 20_000 });
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
      customerEmail: string;
      successUrl: string;
      cancelUrl: string;
    },
  ): Promise<{ id: string; url: string }> {
    const session = await this.client(secretKey).checkout.sessions.create(
      {
        mode: 'payment',
        line_items: input.lineItems.map((item) => ({
          quantity: item.quantity,
          price_data: { currency: input.currency.toLowerCase(), unit_amount: item.unitAmountCents, product_data: { name: item.name } },
        })),
        customer_email: input.customerEmail,
        client_reference_id: String(input.invoiceId),
        metadata: { invoice_id: String(input.invoiceId), store_id: String(input.storeId) },
        payment_intent_data: { metadata: { invoice_id: String(input.invoiceId), store_id: String(input.storeId) } },
        success_url: input.successUrl,
        cancel_url: input.cancelUrl,
      },
      { idempotencyKey: `sellflow-checkout-${input.storeId}-${input.invoiceId}` },
    );
    if (!session.url) throw new Error('Stripe returned a Checkout Session without a URL');
    return { id: session.id, url: session.url };
  }

  /** Verifies the Stripe-Signature header over the raw body (throws when it does not match). */
  verifyEvent(rawBody: Buffer, signature: string, webhookSecret: string): Stripe.Event {
    return this.client('sk_unused').webhooks.constructEvent(rawBody, signature, webhookSecret);
  }
}
