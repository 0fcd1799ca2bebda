import Stripe from 'stripe';
import request from 'supertest';
import type { StripeBilling } from '../fakes/stripe-billing';
import { createVariant, waitFor } from './catalog-fixtures';
import type { Harness } from './harness';

const signer = new Stripe('sk_test_unused');

/** Posts a Stripe event to the store's webhook, signed with the real Stripe scheme. */
export function stripeWebhook(h: Harness, storeSlug: string, secret: string) {
  return (event: Stripe.Event) => {
    const payload = JSON.stringify(event);
    const header = signer.webhooks.generateTestHeaderString({ payload, secret });
    return request(h.app)
      .post(`/webhooks/stripe/${storeSlug}`)
      .set('Stripe-Signature', header)
      .set('Content-Type', 'application/json')
      .send(payload)
      .expect(200);
  };
}

/** A 15.00 monthly subscription variant delivering `deliverable`. */
export function subscriptionVariant(h: Harness, key: string, deliverable: object, title?: string) {
  return createVariant(
    h,
    key,
    {
      deliverable,
      price: 1500,
      pricing: { humble: false, price: { price: 1500, currency: 'USD' }, type: 'SUBSCRIPTION', frequency: { value: 1, interval: 'MONTH' } },
    },
    title ? { title } : undefined,
  );
}

export type EventName = 'checkoutCompleted' | 'created' | 'invoicePaid';

/**
 * A customer buys a monthly license-key variant through Checkout; Stripe (the fake) bills it
 * every `periodSeconds` and its events arrive in `order`. Resolves once our record exists and
 * the first order is delivered. `variantId` sells a subscription variant of the caller's instead.
 */
export async function subscribe(
  h: Harness,
  key: string,
  stripe: StripeBilling,
  webhook: (event: Stripe.Event) => Promise<unknown>,
  periodSeconds: number,
  order: EventName[] = ['checkoutCompleted', 'created', 'invoicePaid'],
  email = 'buyer@example.com',
  variantId?: number,
) {
  const api = (method: 'get' | 'post', path: string, body?: object) =>
    request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${key}`).send(body);
  variantId ??= (
    await subscriptionVariant(h, key, { types: ['LICENSE_KEY'], data: { license_key: { prefix: 'SUB', limit: 1, expires_in_days: null } } })
  ).variantId;
  const invoice = (
    await api('post', '/invoices', {
      customer_email: email,
      payment_method: 'STRIPE',
      product_variants: { [variantId]: { quantity: 1 } },
    }).expect(201)
  ).body.data;
  const checkout = await api('post', `/invoices/${invoice.id}/checkout`).expect(200);
  const paid = stripe.completeCheckout(checkout.body.invoice.payment.gateway.data.session_id as string, periodSeconds);
  for (const name of order) await webhook(paid.events[name]);
  const record = await waitFor(
    () =>
      api('get', `/subscriptions?customer_email=${encodeURIComponent(email)}&limit=100`).then((r) =>
        (r.body.data as { id: number; invoice_id: number }[]).find((s) => s.invoice_id === invoice.id),
      ),
    Boolean,
  );
  await waitFor(
    () => api('get', `/invoices/${invoice.id}`).then((r) => r.body.data),
    (b) => b.status.status.status === 'COMPLETED',
    60_000,
  );
  return { invoiceId: invoice.id as number, id: record!.id, stripeId: paid.subscriptionId };
}
