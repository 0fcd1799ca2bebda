import Stripe from 'stripe';
import request from 'supertest';
import type { PaypalBillingFake } from '../fakes/paypal-billing';
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

/** A deliverable of one license key a purchase, each key starting with `prefix`. */
export function licenseKeys(prefix: string) {
  return { types: ['LICENSE_KEY'], data: { license_key: { prefix, limit: 1, expires_in_days: null } } };
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

type StoreApi = ReturnType<typeof storeApi>;

/** The seller's API under `key`. */
function storeApi(h: Harness, key: string) {
  return (method: 'get' | 'post', path: string, body?: object) =>
    request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${key}`).send(body);
}

/** The buyer's invoice for one of the subscription variant, to be paid through `paymentMethod`. */
async function subscriptionInvoice(api: StoreApi, paymentMethod: 'STRIPE' | 'PAYPAL', variantId: number, email: string) {
  const created = await api('post', '/invoices', {
    customer_email: email,
    payment_method: paymentMethod,
    product_variants: { [variantId]: { quantity: 1 } },
  }).expect(201);
  return created.body.data as { id: number };
}

/** Waits for the subscription's first order to be delivered (COMPLETED). */
function firstOrderDelivered(api: StoreApi, invoiceId: number) {
  return waitFor(
    () => api('get', `/invoices/${invoiceId}`).then((r) => r.body.data),
    (b) => b.status.status.status === 'COMPLETED',
    60_000,
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
  const api = storeApi(h, key);
  variantId ??= (await subscriptionVariant(h, key, licenseKeys('SUB'))).variantId;
  const invoice = await subscriptionInvoice(api, 'STRIPE', variantId, email);
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
  await firstOrderDelivered(api, invoice.id);
  return { invoiceId: invoice.id, id: record!.id, stripeId: paid.subscriptionId };
}

/** What the store's PayPal webhook answers for a subscription event. */
export interface PaypalWebhookAnswer {
  invoice_id: number | null;
  subscription_id: number | null;
}

/**
 * A buyer subscribes to `variantId` through PayPal: checkout, approval on PayPal's page (the
 * billing fake), then its activation and first sale delivered by `webhook` to the store's own.
 * Resolves once the first order is delivered. One variant serves every call: PayPal's plan is
 * made once per variant and price.
 */
export async function subscribeThroughPaypal(
  h: Harness,
  key: string,
  billing: PaypalBillingFake,
  webhook: (event: object) => Promise<PaypalWebhookAnswer>,
  variantId: number,
  email: string,
) {
  const api = storeApi(h, key);
  const invoice = await subscriptionInvoice(api, 'PAYPAL', variantId, email);
  const checkout = await api('post', `/invoices/${invoice.id}/checkout`).expect(200);
  const paypalId = [...billing.state.subscriptions.values()].find((s) => s.customId === String(invoice.id))!.id;
  expect(checkout.body.payment_url).toBe(`https://www.paypal.com/webapps/billing/subscriptions?ba_token=BA-${paypalId.slice(2)}`);
  const approved = billing.approve(paypalId);
  await webhook(approved.activated);
  const first = await webhook(approved.paid);
  expect(first.invoice_id).toBe(invoice.id);
  const id = first.subscription_id!;
  await firstOrderDelivered(api, invoice.id);
  return { invoiceId: invoice.id, id, paypalId, sale: approved.paid };
}
