import Stripe from 'stripe';
import request from 'supertest';
import { type StripeBilling, startStripeBilling } from '../fakes/stripe-billing';
import { createVariant } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/**
 * Issue 16, "Trust boundary", for Stripe: a signed event is only believed as far as it matches
 * the invoice (mode, the session our checkout opened, currency, amount); a signed event we cannot
 * read is a 400 that stores nothing; and what Stripe answers at checkout reaches the seller
 * classified (their key, or Stripe being down), never as an internal error.
 */
const WEBHOOK_SECRET = 'whsec_paymentmatching';
const LIVE_KEY = 'sk_live_paymentmatching';
const TEST_KEY = 'sk_test_paymentmatching';
const signer = new Stripe('sk_test_unused');
let stripe: StripeBilling;
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;

beforeAll(async () => {
  stripe = await startStripeBilling();
  h = await startHarness({ env: { STRIPE_API_BASE: stripe.url } });
  store = await h.createStore();
  const settings = { secret_key: LIVE_KEY, test_secret_key: TEST_KEY, webhook_secret: WEBHOOK_SECRET };
  await api('put', '/settings/payment-methods/STRIPE', settings).expect(200);
}, 120_000);
afterAll(async () => {
  await h?.close();
  await stripe?.close();
});

function api(method: 'get' | 'post' | 'patch' | 'put', path: string, body?: object, key = store.live) {
  return request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${key}`).send(body);
}

/** Posts a raw body signed with the store's webhook secret (the real Stripe scheme). */
function postSigned(payload: string) {
  const header = signer.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
  return request(h.app)
    .post(`/webhooks/stripe/${store.slug}`)
    .set('Stripe-Signature', header)
    .set('Content-Type', 'application/json')
    .send(payload);
}
const webhook = (event: object) => postSigned(JSON.stringify(event));

let eventCounter = 0;
const eventId = () => `evt_matching_${Date.now()}_${(eventCounter += 1)}`;

/** A catalogue is written with live keys; `key` decides the invoice's mode. */
async function newInvoice(priceCents: number, key = store.live): Promise<number> {
  const deliverable = { types: ['MANUAL'], data: { comment: 'thanks' } };
  const { variantId } = await createVariant(h, store.live, { deliverable, price: priceCents });
  const body = { customer_email: 'buyer@e.co', payment_method: 'STRIPE', product_variants: { [variantId]: { quantity: 1 } } };
  const created = await api('post', '/invoices', body, key).expect(201);
  return created.body.data.id;
}

async function checkout(invoiceId: number, key = store.live): Promise<string> {
  const response = await api('post', `/invoices/${invoiceId}/checkout`, undefined, key).expect(200);
  return response.body.invoice.payment.gateway.data.session_id;
}

const invoiceOf = async (id: number, key = store.live) => (await api('get', `/invoices/${id}`, undefined, key).expect(200)).body.data;
const eventsOf = async (type: string, invoiceId: number) =>
  (await h.db.selectFrom('events').select('data').where('type', '=', type).where('store_id', '=', store.id).orderBy('created_at').execute())
    .map((e) => e.data as Record<string, unknown>)
    .filter((d) => d.id === invoiceId);
const gatewayEvent = (id: string) => h.db.selectFrom('gateway_events').selectAll().where('event_id', '=', id).executeTakeFirst();

describe('every Stripe payment is matched to its invoice before it pays', () => {
  it('a signed 1 EUR checkout for a 2,000 USD invoice never checked out pays nothing: flagged, announced, the event kept', async () => {
    const invoiceId = await newInvoice(200_000);
    const id = eventId();
    const session = {
      id: 'cs_live_foreign1',
      object: 'checkout.session',
      mode: 'payment',
      payment_status: 'paid',
      amount_total: 1,
      currency: 'eur',
      client_reference_id: String(invoiceId),
      metadata: { invoice_id: String(invoiceId) },
      payment_intent: 'pi_foreign1',
    };
    const event = { id, object: 'event', type: 'checkout.session.completed', livemode: true, created: 1, data: { object: session } };
    const response = await webhook(event);
    expect(response.status).toBe(200);
    const invoice = await invoiceOf(invoiceId);
    expect(invoice.status.status.status).toBe('PENDING');
    expect(response.body).toMatchObject({ received: true, duplicate: false, invoice_id: invoiceId, outcome: 'mismatch' });
    expect(invoice.delivery.needs_attention).toBe(true);
    expect(invoice.delivery.attention_reason).toContain('cs_live_foreign1');
    expect(await eventsOf('order.paid', invoiceId)).toEqual([]);
    const [mismatch, ...more] = await eventsOf('order.payment_mismatch', invoiceId);
    expect(more).toEqual([]);
    expect(mismatch).toMatchObject({
      reason_code: 'foreign_session',
      gateway: 'stripe',
      gateway_event: { id, type: 'checkout.session.completed', livemode: true },
      expected: { amount: 200_000, currency: 'USD', livemode: true },
      received: { amount: 1, currency: 'EUR' },
    });
    const kept = { invoice_id: invoiceId, outcome: 'mismatch', reason: expect.stringContaining('cs_live_foreign1') };
    expect(await gatewayEvent(id)).toMatchObject(kept);

    const stuck = (await api('get', '/ops/stuck-orders').expect(200)).body.data as { id: number; delivery: { attention_reason: string } }[];
    expect(stuck.find((o) => o.id === invoiceId)?.delivery.attention_reason).toContain('not the checkout this invoice opened');

    // Stripe redelivers it: nothing new happens.
    const again = await webhook(event);
    expect(again.body).toMatchObject({ duplicate: true, outcome: 'mismatch' });
    expect(await eventsOf('order.payment_mismatch', invoiceId)).toHaveLength(1);
  });

  it('a test-mode event never pays a live invoice, even for the session its checkout opened', async () => {
    const invoiceId = await newInvoice(1999);
    const sessionId = await checkout(invoiceId);
    const { event } = stripe.payCheckout(sessionId, { livemode: false });
    expect((await webhook(event).expect(200)).body.outcome).toBe('mismatch');
    const invoice = await invoiceOf(invoiceId);
    expect(invoice.status.status.status).toBe('PENDING');
    expect(invoice.delivery.attention_reason).toContain('test-mode payment for a live-mode invoice');
    expect((await eventsOf('order.payment_mismatch', invoiceId)).map((e) => e.reason_code)).toEqual(['mode']);
  });

  it('checks the currency and the amount; an under-payment is partial; the right payment pays once', async () => {
    const invoiceId = await newInvoice(1999);
    const sessionId = await checkout(invoiceId);
    expect((await webhook(stripe.payCheckout(sessionId, { currency: 'eur' }).event).expect(200)).body.outcome).toBe('mismatch');
    expect((await invoiceOf(invoiceId)).status.status.status).toBe('PENDING');

    const partial = await webhook(stripe.payCheckout(sessionId, { amount_total: 1000 }).event).expect(200);
    expect(partial.body.outcome).toBe('partial');
    const afterPartial = await invoiceOf(invoiceId);
    expect(afterPartial.status.status.status).toBe('PARTIAL');
    expect(afterPartial.delivery.attention_reason).toContain('partial payment: 1000 of 1999 USD');

    const paid = stripe.payCheckout(sessionId);
    expect((await webhook(paid.event).expect(200)).body.outcome).toBe('paid');
    const invoice = await invoiceOf(invoiceId);
    expect(invoice.status.status.status).toBe('PAID');
    expect(invoice.payment.gateway.data.transaction_id).toBe(paid.paymentIntent);
    // The same payment reported again (another event id): applied once.
    const repeated = { ...paid.event, id: eventId(), type: 'checkout.session.async_payment_succeeded' };
    expect((await webhook(repeated).expect(200)).body.outcome).toBe('same_payment');
    expect(await eventsOf('order.paid', invoiceId)).toHaveLength(1);
    expect((await eventsOf('order.payment_mismatch', invoiceId)).map((e) => e.reason_code)).toEqual(['currency', 'underpaid']);

    // Another checkout's money for the paid invoice is flagged, not applied.
    const foreign = { ...paid.event, id: eventId(), data: { object: { ...paid.event.data.object, id: 'cs_live_other' } } };
    expect((await webhook(foreign).expect(200)).body.outcome).toBe('mismatch');
    expect((await invoiceOf(invoiceId)).status.status.status).toBe('PAID');
    expect(await eventsOf('order.paid', invoiceId)).toHaveLength(1);
  });

  it('flags money for an invoice already paid by other means, or voided, and never pays it twice', async () => {
    const manual = await newInvoice(500);
    const manualSession = await checkout(manual);
    await api('patch', `/invoices/${manual}/mark-completed`).expect(200);
    expect((await webhook(stripe.payCheckout(manualSession).event).expect(200)).body.outcome).toBe('mismatch');
    expect((await eventsOf('order.payment_mismatch', manual)).map((e) => e.reason_code)).toEqual(['already_paid']);
    expect(await eventsOf('order.paid', manual)).toHaveLength(1);

    const voided = await newInvoice(500);
    const voidedSession = await checkout(voided);
    await api('patch', `/invoices/${voided}/mark-voided`).expect(200);
    expect((await webhook(stripe.payCheckout(voidedSession).event).expect(200)).body.outcome).toBe('mismatch');
    const invoice = await invoiceOf(voided);
    expect(invoice.status.status.status).toBe('VOIDED');
    expect(invoice.delivery.needs_attention).toBe(true);
    expect(invoice.delivery.attention_reason).toContain('paid after the invoice was voided');
  });

  it('order.refunded carries the amount, partial and full; a refund of another mode or payment changes nothing', async () => {
    const invoiceId = await newInvoice(1999);
    const sessionId = await checkout(invoiceId);
    const { event, paymentIntent } = stripe.payCheckout(sessionId);
    await webhook(event).expect(200);
    const metadata = { invoice_id: String(invoiceId) };
    const charge = (fields: object) => ({ object: 'charge', payment_intent: paymentIntent, currency: 'usd', metadata, ...fields });
    const refund = (livemode: boolean, fields: object) => ({
      id: eventId(),
      object: 'event',
      type: 'charge.refunded',
      livemode,
      created: 1,
      data: { object: charge(fields) },
    });

    expect((await webhook(refund(false, { refunded: true, amount_refunded: 1999 })).expect(200)).body.outcome).toBe('ignored');
    const otherPayment = refund(true, { refunded: true, amount_refunded: 1999, payment_intent: 'pi_someone_else' });
    expect((await webhook(otherPayment).expect(200)).body.outcome).toBe('ignored');
    expect((await invoiceOf(invoiceId)).status.status.status).toBe('PAID');

    await webhook(refund(true, { refunded: false, amount_refunded: 500 })).expect(200);
    expect((await invoiceOf(invoiceId)).status.status.status).toBe('PAID');
    await webhook(refund(true, { refunded: true, amount_refunded: 1999 })).expect(200);
    expect((await invoiceOf(invoiceId)).status.status.status).toBe('REFUNDED');
    expect(await eventsOf('order.refunded', invoiceId)).toEqual([
      { id: invoiceId, partial: true, amount_refunded: 500, currency: 'USD' },
      { id: invoiceId, status: 'REFUNDED', partial: false, amount_refunded: 1999, currency: 'USD' },
    ]);
  });
});

describe('signed Stripe events we cannot read', () => {
  const session = { id: 'cs_x', object: 'checkout.session', payment_status: 'paid', amount_total: 100, currency: 'usd' };
  const base = { object: 'event', type: 'checkout.session.completed', livemode: true, created: 1, data: { object: session } };
  const paidInvoice = { currency: 'usd', amount_paid: 1 };
  /** The base event with its session changed. */
  const withSession = (id: string, change: object) => JSON.stringify({ ...base, id, data: { object: { ...session, ...change } } });
  const cases: [string, string, string][] = [
    ['no id', JSON.stringify(base), 'id'],
    ['an empty id', JSON.stringify({ ...base, id: '' }), 'id'],
    ['a numeric id', JSON.stringify({ ...base, id: 42 }), 'id'],
    ['no type', JSON.stringify({ ...base, id: 'evt_bad_2', type: undefined }), 'type'],
    ['no data', JSON.stringify({ ...base, id: 'evt_bad_3', data: undefined }), 'data'],
    ['no data.object', JSON.stringify({ ...base, id: 'evt_bad_4', data: {} }), 'data.object'],
    ['a string data.object', JSON.stringify({ ...base, id: 'evt_bad_5', data: { object: 'cs_x' } }), 'data.object'],
    ['a string livemode', JSON.stringify({ ...base, id: 'evt_bad_6', livemode: 'yes' }), 'livemode'],
    ['a string amount_total', withSession('evt_bad_7', { amount_total: '100' }), 'data.object.amount_total'],
    ['a numeric currency', withSession('evt_bad_8', { currency: 840 }), 'data.object.currency'],
    ['a session without id', withSession('evt_bad_9', { id: undefined }), 'data.object.id'],
    [
      'a string amount_refunded',
      JSON.stringify({ ...base, id: 'evt_bad_10', type: 'charge.refunded', data: { object: { refunded: true, amount_refunded: '5' } } }),
      'data.object.amount_refunded',
    ],
    [
      'an invoice.paid without created',
      JSON.stringify({ ...base, id: 'evt_bad_11', type: 'invoice.paid', created: undefined, data: { object: paidInvoice } }),
      'created',
    ],
    [
      'subscription items that are not a list',
      JSON.stringify({
        ...base,
        id: 'evt_bad_12',
        type: 'customer.subscription.updated',
        data: { object: { id: 'sub_1', status: 'active', customer: 'cus_1', cancel_at_period_end: false, items: { data: 'x' } } },
      }),
      'data.object.items.data',
    ],
    ['a NUL in its type', JSON.stringify({ ...base, id: 'evt_bad_13', type: 'a\u0000b', data: { object: {} } }), 'type'],
    ['a NUL in a session id', withSession('evt_bad_14', { id: 'cs_\u0000' }), 'data.object.id'],
    [
      'a lone surrogate in client_reference_id',
      withSession('evt_bad_15', { client_reference_id: '\ud800' }),
      'data.object.client_reference_id',
    ],
    ['a number', '42', 'event'],
    ['null', 'null', 'event'],
    ['a list', '[]', 'event'],
    ['not JSON', 'this is not json', 'body'],
  ];

  it.each(cases)('%s is a 400 in the error envelope and stores nothing', async (_name, payload, param) => {
    const kept = async () => {
      const count = h.db.selectFrom('gateway_events').select((eb) => eb.fn.countAll<number>().as('n'));
      const row = await count.where('store_id', '=', store.id).executeTakeFirstOrThrow();
      return Number(row.n);
    };
    const before = await kept();
    const response = await postSigned(payload);
    expect(response.status).toBe(400);
    expect(response.body.error).toEqual({ type: 'invalid_request', code: 'invalid_event', message: expect.any(String), param });
    expect(await kept()).toBe(before);
  });

  it('an invoice id beyond the database integer names no invoice: kept as unmatched, never a 500', async () => {
    const id = eventId();
    const metadata = { invoice_id: '99999999999', store_id: String(store.id) };
    const huge = { ...session, id: 'cs_live_huge', client_reference_id: '2147483648', metadata };
    const response = await webhook({ ...base, id, data: { object: huge } });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ invoice_id: null, outcome: 'unmatched' });
    // A subscription Stripe says is active, carrying that id in its metadata.
    const subscription = { id: 'sub_huge', status: 'active', customer: 'cus_1', cancel_at_period_end: false, metadata };
    const created = await webhook({ ...base, id: eventId(), type: 'customer.subscription.created', data: { object: subscription } });
    expect(created.status).toBe(200);
    expect(created.body.subscription_id).toBeNull();
  });

  it('an event type we do not act on is accepted and kept', async () => {
    const id = eventId();
    const payout = { id: 'po_1', amount: 'any' };
    const response = await webhook({ id, object: 'event', type: 'payout.paid', livemode: true, created: 1, data: { object: payout } });
    expect(response.status).toBe(200);
    expect(await gatewayEvent(id)).toMatchObject({ type: 'payout.paid', invoice_id: null });
  });
});

describe('what Stripe answers at checkout reaches the seller classified', () => {
  const CHECKOUT = '/v1/checkout/sessions';
  afterEach(() => stripe.clearFailures());

  it('a rejected live key is a 422 naming the live secret key setting; a forbidden test key names the test one', async () => {
    const live = await newInvoice(700);
    const body = { error: { type: 'invalid_request_error', message: `Invalid API Key provided: ${LIVE_KEY.slice(0, 8)}****` } };
    stripe.failRequests(CHECKOUT, { status: 401, body });
    const refused = await api('post', `/invoices/${live}/checkout`);
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ type: 'invalid_request', code: 'gateway_misconfigured', param: 'secret_key' });
    expect(refused.body.error.message).toMatch(/live secret key .*secret_key/);
    expect(refused.text).not.toContain(LIVE_KEY);

    const test = await newInvoice(700, store.test);
    const denied = { error: { type: 'invalid_request_error', message: 'The provided key does not have access' } };
    stripe.failRequests(CHECKOUT, { status: 403, body: denied });
    const forbidden = await api('post', `/invoices/${test}/checkout`, undefined, store.test);
    expect(forbidden.status).toBe(422);
    expect(forbidden.body.error).toMatchObject({ code: 'gateway_misconfigured', param: 'test_secret_key' });
    expect(forbidden.body.error.message).toContain('test secret key');
  });

  it('Stripe failing, unreachable or rate limiting is a 502 / 503 with Retry-After; the checkout works once Stripe is back', async () => {
    const invoiceId = await newInvoice(700);
    stripe.failRequests(CHECKOUT, { status: 500 }, 10);
    const failing = await api('post', `/invoices/${invoiceId}/checkout`);
    expect(failing.status).toBe(502);
    expect(failing.body.error).toMatchObject({ type: 'bad_gateway', code: 'gateway_unavailable' });
    expect(Number(failing.headers['retry-after'])).toBeGreaterThan(0);
    stripe.clearFailures();

    stripe.failRequests(CHECKOUT, 'drop', 10);
    const unreachable = await api('post', `/invoices/${invoiceId}/checkout`);
    expect(unreachable.status).toBe(502);
    expect(unreachable.body.error.code).toBe('gateway_unavailable');
    expect(unreachable.headers['retry-after']).toBeDefined();
    stripe.clearFailures();

    const slowDown = { error: { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests' } };
    stripe.failRequests(CHECKOUT, { status: 429, headers: { 'Retry-After': '7' }, body: slowDown });
    const limited = await api('post', `/invoices/${invoiceId}/checkout`);
    expect(limited.status).toBe(503);
    expect(limited.body.error).toMatchObject({ type: 'service_unavailable', code: 'gateway_rate_limited' });
    expect(limited.headers['retry-after']).toBe('7');
    for (const response of [failing, unreachable, limited]) expect(response.body.error.type).not.toBe('internal_error');

    stripe.clearFailures();
    expect((await invoiceOf(invoiceId)).status.status.status).toBe('PENDING');
    await checkout(invoiceId);
  });
});
