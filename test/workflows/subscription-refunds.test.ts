import type Stripe from 'stripe';
import request from 'supertest';
import { type PaypalFake, paypalEvent, startPaypalFake } from '../fakes/paypal';
import { type PaypalBillingFake, paypalBilling } from '../fakes/paypal-billing';
import { type StripeBilling, startStripeBilling } from '../fakes/stripe-billing';
import { waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';
import {
  licenseKeys,
  stripeWebhook,
  subscribe as subscribeThroughStripe,
  subscribeThroughPaypal,
  subscriptionVariant,
} from '../helpers/subscription-fixtures';

/**
 * Refunds the provider reports for a subscription's payments (issues 20 and 23: the same
 * consequences whoever refunds): one made in Stripe's or PayPal's dashboard is recorded once on
 * the payment it refunds, and one made through Sellflow, reported back, is not counted again.
 * Real Temporal dev server and worker; the Stripe Billing and PayPal fakes.
 */
const STRIPE_SECRET = 'whsec_subscriptionrefunds';
const PAYPAL_WEBHOOK = 'WHLIVESUBREFUNDS1';
const PAYPAL_APP = { clientId: 'AZliveSubRefunds01', clientSecret: 'ELliveSubRefunds01', mode: 'live' as const };
let stripe: StripeBilling;
let paypal: PaypalFake;
let billing: PaypalBillingFake;
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;

beforeAll(async () => {
  stripe = await startStripeBilling();
  paypal = await startPaypalFake();
  paypal.addApp(PAYPAL_APP, PAYPAL_WEBHOOK);
  billing = paypalBilling(paypal);
  h = await startHarness({
    worker: true,
    env: { STRIPE_API_BASE: stripe.url, PAYPAL_API_URL: paypal.url, SUBSCRIPTION_CANCEL_CONFIRM_SECONDS: '2' },
  });
  store = await h.createStore();
  await api('put', '/settings/payment-methods/STRIPE', { secret_key: 'sk_live_subrefunds', webhook_secret: STRIPE_SECRET }).expect(200);
  await api('put', '/settings/payment-methods/PAYPAL', {
    client_id: PAYPAL_APP.clientId,
    client_secret: PAYPAL_APP.clientSecret,
    webhook_id: PAYPAL_WEBHOOK,
  }).expect(200);
}, 300_000);
afterAll(async () => {
  await h?.close();
  await stripe?.close();
  await paypal?.close();
});

function api(method: 'get' | 'post' | 'patch' | 'put', path: string, body?: object) {
  return request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);
}

const stripeEvent = (event: Stripe.Event) => stripeWebhook(h, store.slug, STRIPE_SECRET)(event);

/** Stripe's `charge.refunded` for the charge of a PaymentIntent: amount_refunded is all refunds so far. */
function chargeRefunded(paymentIntent: string, amountRefunded: number, refundId: string, id = `evt_${refundId}`) {
  const charge = {
    id: `ch_${paymentIntent}`,
    object: 'charge',
    amount: 1500,
    amount_refunded: amountRefunded,
    refunded: amountRefunded >= 1500,
    currency: 'usd',
    payment_intent: paymentIntent,
    metadata: {},
    refunds: { object: 'list', data: [{ id: refundId, object: 'refund', amount: amountRefunded }] },
  };
  return { id, object: 'event', type: 'charge.refunded', livemode: true, created: Math.floor(Date.now() / 1000), data: { object: charge } };
}

/** The PaymentIntent that paid a Stripe invoice, as Stripe answers it (invoice.paid need not carry it). */
async function paymentIntentOf(stripeInvoice: string): Promise<string> {
  const answer = await fetch(`${stripe.url}/v1/invoice_payments?invoice=${stripeInvoice}`, {
    headers: { Authorization: 'Bearer sk_live_subrefunds' },
  });
  const body = (await answer.json()) as { data: { payment: { payment_intent: string } }[] };
  return body.data[0]!.payment.payment_intent;
}

async function paypalEventDelivered(event: object) {
  const { body, headers } = paypal.deliver(event, PAYPAL_WEBHOOK);
  const answer = await request(h.app).post(`/webhooks/paypal/${store.slug}/live`).set(headers).send(body).expect(200);
  return answer.body as {
    duplicate: boolean;
    invoice_id: number | null;
    subscription_id: number | null;
    outcome: string | null;
    reason: string | null;
  };
}

const paymentsOf = (subscriptionId: number) =>
  h.db
    .selectFrom('subscription_payments')
    .select(['id', 'provider_invoice_id', 'provider_payment_intent_id', 'amount_cents', 'refunded_cents', 'provider_refund_id'])
    .where('subscription_id', '=', subscriptionId)
    .orderBy('id')
    .execute();
const refundedEvents = async (invoiceId: number) =>
  (
    await h.db
      .selectFrom('events')
      .select('data')
      .where('type', '=', 'order.refunded')
      .where('store_id', '=', store.id)
      .orderBy('created_at')
      .execute()
  )
    .map((e) => e.data)
    .filter((d) => d.id === invoiceId);
const refundRows = (invoiceId: number) =>
  h.db
    .selectFrom('refunds')
    .select(['source', 'amount_cents', 'provider_refund_id'])
    .where('invoice_id', '=', invoiceId)
    .orderBy('id')
    .execute();
const subscription = async (id: number) => (await api('get', `/subscriptions/${id}`).expect(200)).body.data as { status: string };
const orderStatus = async (invoiceId: number) => (await api('get', `/invoices/${invoiceId}`).expect(200)).body.data.status.status.status;

describe('refunds of subscription payments reported by the provider', () => {
  it('Stripe: a renewal refunded in the dashboard is recorded once on its payment; the subscription goes on', async () => {
    const sub = await subscribeThroughStripe(h, store.live, stripe, stripeEvent, 3600);
    const renewal = stripe.renew(sub.stripeId);
    await stripeEvent(renewal.events.invoice);
    const payments = await waitFor(
      () => paymentsOf(sub.id),
      (p) => p.length === 2,
    );
    const renewed = payments.find((p) => p.provider_invoice_id === renewal.invoiceId)!;
    // The charge names only its PaymentIntent, which invoice.paid did not carry: Stripe is asked which invoice it paid.
    expect(renewed.provider_payment_intent_id).toBeNull();
    const intent = await paymentIntentOf(renewal.invoiceId);

    const refund = chargeRefunded(intent, 1500, 're_dashboard_renewal');
    const first = await stripeEvent(refund as unknown as Stripe.Event);
    expect(first.body).toMatchObject({ duplicate: false, outcome: 'refunded', invoice_id: sub.invoiceId });
    // Stripe redelivers it, and reports the same refund again under another event.
    expect((await stripeEvent(refund as unknown as Stripe.Event)).body.duplicate).toBe(true);
    await stripeEvent({ ...refund, id: `${refund.id}_again` } as unknown as Stripe.Event);

    const after = await paymentsOf(sub.id);
    expect(after.find((p) => p.id === renewed.id)).toMatchObject({
      refunded_cents: 1500,
      provider_refund_id: 're_dashboard_renewal',
      provider_payment_intent_id: intent,
    });
    expect(after.find((p) => p.id !== renewed.id)).toMatchObject({ refunded_cents: 0, provider_refund_id: null });
    expect(await refundedEvents(sub.invoiceId)).toEqual([
      { id: sub.invoiceId, subscription_id: sub.id, amount_refunded: 1500, currency: 'USD', partial: false },
    ]);
    const logged = await h.db
      .selectFrom('gateway_events')
      .select(['outcome', 'subscription_id', 'invoice_id'])
      .where('event_id', '=', refund.id)
      .executeTakeFirstOrThrow();
    expect(logged).toEqual({ outcome: 'refunded', subscription_id: sub.id, invoice_id: sub.invoiceId });
    // A renewal's refund is not the order's: the order, the subscription and its access stay.
    expect(await refundRows(sub.invoiceId)).toEqual([]);
    expect(await orderStatus(sub.invoiceId)).toBe('COMPLETED');
    expect((await subscription(sub.id)).status).toBe('ACTIVE');
    const keys = await h.db.selectFrom('license_keys').select('active').where('invoice_id', '=', sub.invoiceId).execute();
    expect(keys.every((k) => k.active)).toBe(true);
    // The seller cannot refund it a second time through a cancel.
    const cancel = await api('patch', `/subscriptions/${sub.id}/cancel`, { cancel_at_period_end: false, refund_last_payment: true });
    expect(cancel.status).toBe(422);
    expect(cancel.body.error.code).toBe('already_refunded');
  });

  it('Stripe: our cancel’s refund of the last payment, reported back by charge.refunded, is not counted twice', async () => {
    const sub = await subscribeThroughStripe(h, store.live, stripe, stripeEvent, 3600);
    const renewal = stripe.renew(sub.stripeId);
    await stripeEvent(renewal.events.invoice);
    await waitFor(
      () => paymentsOf(sub.id),
      (p) => p.length === 2,
    );
    await api('patch', `/subscriptions/${sub.id}/cancel`, { cancel_at_period_end: false, refund_last_payment: true }).expect(200);
    const refunded = await waitFor(
      async () => (await paymentsOf(sub.id)).find((p) => p.provider_invoice_id === renewal.invoiceId)!,
      (p) => p.provider_refund_id !== null,
    );
    const ours = stripe.refunds.filter((r) => r.metadata.subscription_id === String(sub.id));
    expect(ours).toHaveLength(1);
    expect(refunded).toMatchObject({ refunded_cents: 1500, provider_refund_id: ours[0]!.id });

    const answer = await stripeEvent(chargeRefunded(ours[0]!.payment_intent, 1500, ours[0]!.id) as unknown as Stripe.Event);
    expect(answer.body).toMatchObject({ outcome: 'refunded', reason: 'the refunds made through Sellflow account for it' });
    // Stripe's report naming no refund (newer API versions leave refunds out) is recognised by its total.
    const bare = chargeRefunded(ours[0]!.payment_intent, 1500, 'unused', 'evt_bare_report');
    delete (bare.data.object as { refunds?: unknown }).refunds;
    const second = await stripeEvent(bare as unknown as Stripe.Event);
    expect(second.body).toMatchObject({ outcome: 'refunded', reason: 'the refunds made through Sellflow account for it' });

    expect((await paymentsOf(sub.id)).map((p) => p.refunded_cents)).toEqual([0, 1500]);
    expect(await refundedEvents(sub.invoiceId)).toEqual([
      { id: sub.invoiceId, subscription_id: sub.id, amount_refunded: 1500, partial: false },
    ]);
    expect(await refundRows(sub.invoiceId)).toEqual([]);
  });

  it('Stripe: our cancel’s refund reported before its reply reached us (still being sent) is not counted either', async () => {
    const sub = await subscribeThroughStripe(h, store.live, stripe, stripeEvent, 3600);
    const renewal = stripe.renew(sub.stripeId);
    await stripeEvent(renewal.events.invoice);
    await waitFor(
      () => paymentsOf(sub.id),
      (p) => p.length === 2,
    );
    let release = () => {};
    stripe.holdReplies('/v1/refunds', new Promise<void>((resolve) => (release = resolve)));
    try {
      await api('patch', `/subscriptions/${sub.id}/cancel`, { cancel_at_period_end: false, refund_last_payment: true }).expect(200);
      // Stripe made the refund and reports it; its answer to our call has not arrived.
      const [ours] = await waitFor(
        async () => stripe.refunds.filter((r) => r.metadata.subscription_id === String(sub.id)),
        (r) => r.length === 1,
      );
      const answer = await stripeEvent(chargeRefunded(ours!.payment_intent, 1500, ours!.id) as unknown as Stripe.Event);
      expect(answer.body).toMatchObject({ outcome: 'refunded', reason: 'the refunds made through Sellflow account for it' });
      expect((await paymentsOf(sub.id)).map((p) => p.refunded_cents)).toEqual([0, 0]);
    } finally {
      release();
      stripe.holdReplies('/v1/refunds', null);
    }
    await waitFor(
      async () => (await paymentsOf(sub.id))[1]!,
      (p) => p.provider_refund_id !== null,
    );
    expect((await paymentsOf(sub.id)).map((p) => p.refunded_cents)).toEqual([0, 1500]);
    expect(await refundedEvents(sub.invoiceId)).toEqual([
      { id: sub.invoiceId, subscription_id: sub.id, amount_refunded: 1500, partial: false },
    ]);
  });

  it('Stripe: the first payment refunded in part in the dashboard is the order’s refund, recorded once', async () => {
    const sub = await subscribeThroughStripe(h, store.live, stripe, stripeEvent, 3600);
    const [first] = await paymentsOf(sub.id);
    const intent = await paymentIntentOf(first!.provider_invoice_id);
    const refund = chargeRefunded(intent, 500, 're_dashboard_first');
    await stripeEvent(refund as unknown as Stripe.Event);
    await stripeEvent(refund as unknown as Stripe.Event);
    expect(await refundRows(sub.invoiceId)).toEqual([{ source: 'stripe', amount_cents: 500, provider_refund_id: 're_dashboard_first' }]);
    expect((await paymentsOf(sub.id))[0]).toMatchObject({ refunded_cents: 500, provider_refund_id: 're_dashboard_first' });
    expect(await refundedEvents(sub.invoiceId)).toEqual([
      { id: sub.invoiceId, subscription_id: sub.id, partial: true, amount_refunded: 500, currency: 'USD' },
    ]);
    // Part of the money: the order and the subscription stay.
    expect(await orderStatus(sub.invoiceId)).toBe('COMPLETED');
    expect((await subscription(sub.id)).status).toBe('ACTIVE');

    // The seller refunds 2.00 more of the order through Sellflow; Stripe reports the charge's 7.00 back.
    const ordered = await api('post', `/orders/${sub.invoiceId}/refunds`, { amount: '2.00' }).expect(200);
    const refundId = ordered.body.data.refund.id as number;
    await waitFor(
      async () => (await api('get', `/refunds/${refundId}`).expect(200)).body.data.status,
      (status) => status === 'effective',
    );
    const answer = await stripeEvent(chargeRefunded(intent, 700, 're_ours_reported') as unknown as Stripe.Event);
    expect(answer.body).toMatchObject({ outcome: 'refunded', reason: 'the refunds made through Sellflow account for it' });
    expect((await refundRows(sub.invoiceId)).map((r) => [r.source, r.amount_cents])).toEqual([
      ['stripe', 500],
      ['api', 200],
    ]);
    expect((await paymentsOf(sub.id))[0]!.refunded_cents).toBe(500);
  });

  it('PayPal: a renewal’s sale refunded in PayPal (PAYMENT.SALE.REFUNDED) is recorded once; ours reported back is not counted', async () => {
    const { variantId } = await subscriptionVariant(h, store.live, licenseKeys('PPR'));
    const sub = await subscribeThroughPaypal(h, store.live, billing, paypalEventDelivered, variantId, 'paypal-refund@example.com');
    const renewal = billing.renew(sub.paypalId);
    await paypalEventDelivered(renewal);
    const saleId = (renewal.resource as { id: string }).id;
    await waitFor(
      () => paymentsOf(sub.id),
      (p) => p.length === 2,
    );

    // The seller refunds 5.00 of the renewal in PayPal; PayPal reports the sale's refund.
    const sale = billing.state.sales.get(saleId)!;
    sale.refundedCents += 500;
    const refunded = paypalEvent('PAYMENT.SALE.REFUNDED', 'refund', {
      id: 'RFDASHBOARD0001',
      state: 'completed',
      amount: { total: '5.00', currency: 'USD' },
      total_refunded_amount: { value: '5.00', currency_code: 'USD' },
      sale_id: saleId,
      parent_payment: `PAYID-${saleId}`,
      create_time: new Date().toISOString(),
      links: [{ href: `https://api-m.paypal.com/v1/payments/sale/${saleId}`, rel: 'sale', method: 'GET' }],
    });
    expect(await paypalEventDelivered(refunded)).toMatchObject({
      duplicate: false,
      outcome: 'refunded',
      invoice_id: sub.invoiceId,
      subscription_id: sub.id,
    });
    expect((await paypalEventDelivered(refunded)).duplicate).toBe(true);
    await paypalEventDelivered({ ...refunded, id: `${refunded.id}-AGAIN` });
    let payments = await paymentsOf(sub.id);
    expect(payments.map((p) => p.refunded_cents)).toEqual([0, 500]);
    expect(payments[1]!.provider_refund_id).toBe('RFDASHBOARD0001');
    expect(await refundedEvents(sub.invoiceId)).toEqual([
      { id: sub.invoiceId, subscription_id: sub.id, amount_refunded: 500, currency: 'USD', partial: true },
    ]);
    expect(await refundRows(sub.invoiceId)).toEqual([]);
    expect((await subscription(sub.id)).status).toBe('ACTIVE');

    // A reversal of the rest (PayPal writes it negative, without a running total) is recorded too.
    const reversed = paypalEvent('PAYMENT.SALE.REVERSED', 'refund', {
      id: 'RFREVERSAL0001',
      state: 'completed',
      amount: { total: '-10.00', currency: 'USD' },
      sale_id: saleId,
    });
    expect(await paypalEventDelivered(reversed)).toMatchObject({ outcome: 'refunded' });
    payments = await paymentsOf(sub.id);
    expect(payments.map((p) => p.refunded_cents)).toEqual([0, 1500]);
    expect((await refundedEvents(sub.invoiceId)).map((e) => [e.amount_refunded, e.partial])).toEqual([
      [500, true],
      [1500, false],
    ]);

    // A refund of ours (the cancel's refund of the last payment) reported back records nothing more.
    const next = billing.renew(sub.paypalId);
    await paypalEventDelivered(next);
    const nextSale = (next.resource as { id: string }).id;
    await waitFor(
      () => paymentsOf(sub.id),
      (p) => p.length === 3,
    );
    await api('patch', `/subscriptions/${sub.id}/cancel`, { cancel_at_period_end: false, refund_last_payment: true }).expect(200);
    const ours = await waitFor(
      async () => (await paymentsOf(sub.id))[2]!,
      (p) => p.provider_refund_id !== null,
    );
    const reported = paypalEvent('PAYMENT.SALE.REFUNDED', 'refund', {
      id: ours.provider_refund_id,
      state: 'completed',
      amount: { total: '15.00', currency: 'USD' },
      sale_id: nextSale,
    });
    expect(await paypalEventDelivered(reported)).toMatchObject({ outcome: 'refunded', reason: 'this refund is recorded already' });
    expect((await paymentsOf(sub.id)).map((p) => p.refunded_cents)).toEqual([0, 1500, 1500]);
    expect((await refundedEvents(sub.invoiceId)).filter((e) => e.amount_refunded === 1500)).toHaveLength(2);
  });
});
