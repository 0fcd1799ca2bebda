import { type ChildProcess, spawn } from 'node:child_process';
import Stripe from 'stripe';
import request from 'supertest';
import { freePort } from '../../src/temporal/dev-server';
import { resolveGoTool } from '../../src/tools/go-tools';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';
import { waitForPort } from '../helpers/ports';

/**
 * Stripe end to end: the official SDK against stripe-mock for the API calls, and webhook
 * events signed with the real Stripe scheme, into the running order workflow.
 */
const WEBHOOK_SECRET = 'whsec_testsecret123';
let mock: ChildProcess;
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
const signer = new Stripe('sk_test_unused');

beforeAll(async () => {
  const binary = await resolveGoTool(
    { name: 'stripe-mock', module: 'github.com/stripe/stripe-mock@v0.203.0', configuredVariable: 'STRIPE_MOCK_PATH' },
    { configuredPath: process.env.STRIPE_MOCK_PATH, searchPath: process.env.PATH ?? '' },
  );
  const port = await freePort();
  mock = spawn(binary.path, ['-http-addr', `127.0.0.1:${port}`], { stdio: 'ignore' });
  await waitForPort(port, 'stripe-mock');
  h = await startHarness({ worker: true, env: { STRIPE_API_BASE: `http://127.0.0.1:${port}` } });
  store = await h.createStore();
}, 300_000);
afterAll(async () => {
  await h?.close();
  mock?.kill();
});

const api = (method: 'get' | 'post' | 'patch' | 'put', path: string, body?: object, key = store.live) =>
  request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${key}`).send(body);

function webhook(event: object, secret = WEBHOOK_SECRET) {
  const payload = JSON.stringify(event);
  const header = signer.webhooks.generateTestHeaderString({ payload, secret });
  return request(h.app)
    .post(`/webhooks/stripe/${store.slug}`)
    .set('Stripe-Signature', header)
    .set('Content-Type', 'application/json')
    .send(payload);
}

interface Paying {
  id: number;
  livemode: boolean;
  /** The Checkout Session our checkout opened for it (stripe-mock answers one fixed id). */
  sessionId: string;
  totalCents: number;
}

/** What Stripe sends once the buyer paid `invoice`'s Checkout Session: its mode, amount and currency. */
const sessionCompleted = (id: string, invoice: Paying, paymentIntent: string) => ({
  id,
  object: 'event',
  type: 'checkout.session.completed',
  livemode: invoice.livemode,
  created: 1,
  data: {
    object: {
      id: invoice.sessionId,
      object: 'checkout.session',
      mode: 'payment',
      payment_status: 'paid',
      amount_total: invoice.totalCents,
      currency: 'usd',
      client_reference_id: String(invoice.id),
      payment_intent: paymentIntent,
      metadata: { invoice_id: String(invoice.id) },
    },
  },
});

/**
 * Checks the invoice out through its own Checkout Session and says how Stripe will report its
 * payment. stripe-mock refuses live keys (401), so these are test-mode invoices.
 */
async function checkedOut(invoice: { id: number; livemode: boolean }, totalCents: number): Promise<Paying> {
  const checkout = await api('post', `/invoices/${invoice.id}/checkout`, undefined, invoice.livemode ? store.live : store.test).expect(200);
  return { id: invoice.id, livemode: invoice.livemode, sessionId: checkout.body.invoice.payment.gateway.data.session_id, totalCents };
}

describe('Stripe gateway', () => {
  it('stores keys sealed and shows only their last characters', async () => {
    const bad = await api('put', '/settings/payment-methods/STRIPE', { secret_key: 'pk_live_nope' });
    expect(bad.status).toBe(422);
    const saved = await api('put', '/settings/payment-methods/STRIPE', {
      test_secret_key: 'sk_test_123456789',
      secret_key: 'sk_live_abcdefgh',
      webhook_secret: WEBHOOK_SECRET,
    });
    expect(saved.body.data).toEqual({
      method: 'STRIPE',
      enabled: true,
      secret_key: '…efgh',
      test_secret_key: '…6789',
      webhook_secret: '…t123',
    });
    const row = await h.db.selectFrom('payment_gateways').select('settings_sealed').executeTakeFirstOrThrow();
    expect(row.settings_sealed).not.toContain('sk_test_123456789');
  });

  it('opens a Checkout Session for the invoice, then a signed checkout.session.completed pays and delivers it once', async () => {
    const { variantId } = await createVariant(h, store.live, {
      deliverable: { types: ['TEXT'], data: { serials: 'ST-1,ST-2' } },
      price: 1999,
    });
    const invoice = (
      await api(
        'post',
        '/invoices',
        { customer_email: 's@e.co', payment_method: 'STRIPE', product_variants: { [variantId]: { quantity: 1 } } },
        store.test,
      )
    ).body.data;
    expect(invoice.livemode).toBe(false);
    const checkout = await api('post', `/invoices/${invoice.id}/checkout`, undefined, store.test);
    expect(checkout.status).toBe(200);
    expect(checkout.body.payment_url).toMatch(/^https:\/\//);
    expect(checkout.body.invoice.payment.gateway.data.checkout_url).toBe(checkout.body.payment_url);

    const paying = { id: invoice.id, livemode: false, sessionId: checkout.body.invoice.payment.gateway.data.session_id, totalCents: 1999 };
    const event = sessionCompleted('evt_paid_1', paying, 'pi_123');
    const first = await webhook(event);
    expect(first.body).toEqual({
      received: true,
      duplicate: false,
      invoice_id: invoice.id,
      subscription_id: null,
      outcome: 'paid',
      reason: null,
    });
    const done = await waitFor(
      () => api('get', `/invoices/${invoice.id}`, undefined, store.test).then((r) => r.body.data),
      (b) => b.status.status.status === 'COMPLETED',
    );
    expect(done.payment.gateway.data.transaction_id).toBe('pi_123');
    const again = await webhook(event);
    expect(again.body.duplicate).toBe(true);
    const deliverables = await api('get', `/invoices/${invoice.id}/deliverables`, undefined, store.test);
    expect(deliverables.body.data[0].deliverable.data.serials).toEqual(['ST-1']);
    const paidEvents = await h.db.selectFrom('events').select('data').where('type', '=', 'order.paid').execute();
    expect(paidEvents.filter((e) => e.data.id === invoice.id)).toHaveLength(1);

    // A refund, then its redelivery: REFUNDED once, order.refunded once.
    const charge = { id: 'ch_1', object: 'charge', refunded: true, amount_refunded: 1999, currency: 'usd', payment_intent: 'pi_123' };
    const refund = { id: 'evt_refund_1', object: 'event', type: 'charge.refunded', livemode: false, created: 1, data: { object: charge } };
    await webhook(refund).expect(200);
    await webhook(refund).expect(200);
    const refunded = (await api('get', `/invoices/${invoice.id}`, undefined, store.test)).body.data;
    expect(refunded.status.status.status).toBe('REFUNDED');
    const refundEvents = await h.db.selectFrom('events').select('data').where('type', '=', 'order.refunded').execute();
    expect(refundEvents.filter((e) => e.data.id === invoice.id).map((e) => e.data)).toEqual([
      { id: invoice.id, status: 'REFUNDED', partial: false, amount_refunded: 1999, currency: 'USD' },
    ]);
  });

  it('opens a subscription-mode Checkout Session whose parameters stripe-mock validates against Stripe’s OpenAPI spec', async () => {
    const { variantId } = await createVariant(h, store.live, {
      deliverable: { types: ['MANUAL'], data: { comment: 'welcome' } },
      pricing: { humble: false, price: { price: 900, currency: 'USD' }, type: 'SUBSCRIPTION', frequency: { value: 2, interval: 'WEEK' } },
    });
    const invoice = (
      await api(
        'post',
        '/invoices',
        { customer_email: 'sub@e.co', payment_method: 'STRIPE', product_variants: { [variantId]: { quantity: 1 } } },
        store.test,
      )
    ).body.data;
    const checkout = await api('post', `/invoices/${invoice.id}/checkout`, undefined, store.test);
    expect(checkout.status).toBe(200);
    expect(checkout.body.payment_url).toMatch(/^https:\/\//);
    // A subscription is bought alone, and only through a gateway that bills every period.
    const { variantId: oneOff } = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'x' } } });
    const mixed = await api(
      'post',
      '/invoices',
      {
        customer_email: 'sub@e.co',
        payment_method: 'STRIPE',
        product_variants: { [variantId]: { quantity: 1 }, [oneOff]: { quantity: 1 } },
      },
      store.test,
    );
    expect(mixed.status).toBe(422);
    expect(mixed.body.error.code).toBe('subscription_not_alone');
    // Bitcoin cannot charge every period (PayPal can since its subscriptions: paypal-subscriptions.test.ts).
    const crypto = await api(
      'post',
      '/invoices',
      { customer_email: 'sub@e.co', payment_method: 'BTC', product_variants: { [variantId]: { quantity: 1 } } },
      store.test,
    );
    expect(crypto.status).toBe(422);
    expect(crypto.body.error).toMatchObject({ code: 'payment_method_not_accepted', param: 'payment_method' });
  });

  it('marks a dispute', async () => {
    const { variantId } = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'x' } } });
    const body = { customer_email: 'd@e.co', payment_method: 'STRIPE', product_variants: { [variantId]: { quantity: 1 } } };
    const invoice = (await api('post', '/invoices', body, store.test)).body.data;
    await webhook(sessionCompleted('evt_paid_2', await checkedOut(invoice, 1000), 'pi_456')).expect(200);
    const view = () => api('get', `/invoices/${invoice.id}`, undefined, store.test).then((r) => r.body.data);
    await waitFor(view, (b) => b.status.status.status === 'COMPLETED');
    const dispute = { id: 'dp_1', object: 'dispute', charge: 'ch_2', payment_intent: 'pi_456', metadata: {} };
    const disputed = { id: 'evt_dispute_1', object: 'event', type: 'charge.dispute.created', livemode: false, data: { object: dispute } };
    await webhook(disputed).expect(200);
    expect((await view()).status.status.status).toBe('DISPUTING');
  });

  it('flags money that arrives for a voided invoice instead of delivering it', async () => {
    const { variantId } = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'x' } } });
    const body = { customer_email: 'late@e.co', payment_method: 'STRIPE', product_variants: { [variantId]: { quantity: 1 } } };
    const invoice = (await api('post', '/invoices', body, store.test)).body.data;
    const paying = await checkedOut(invoice, 1000);
    await api('patch', `/invoices/${invoice.id}/mark-voided`, undefined, store.test).expect(200);
    const late = await webhook(sessionCompleted('evt_late_1', paying, 'pi_late'));
    expect(late.body).toMatchObject({ received: true, invoice_id: invoice.id, outcome: 'mismatch' });
    expect(late.body.reason).toBe('paid after the invoice was voided');
    const after = (await api('get', `/invoices/${invoice.id}`, undefined, store.test)).body.data;
    expect(after.status.status.status).toBe('VOIDED');
    expect(after.delivery.needs_attention).toBe(true);
    const flagged = await h.db.selectFrom('events').select('data').where('type', '=', 'delivery.needs_attention').execute();
    expect(flagged.find((e) => e.data.id === invoice.id)?.data.reason).toBe('paid after the invoice was voided');
    const retry = await api('post', `/invoices/${invoice.id}/retry`, {}, store.test);
    expect(retry.status).toBe(409);
    expect(retry.body.error.code).toBe('needs_manual_action');
  });

  it('refuses a bad or missing signature and leaves the invoice alone', async () => {
    const { variantId } = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'x' } } });
    const invoice = (
      await api('post', '/invoices', {
        customer_email: 'x@e.co',
        payment_method: 'STRIPE',
        product_variants: { [variantId]: { quantity: 1 } },
      })
    ).body.data;
    const paying = { id: invoice.id, livemode: true, sessionId: 'cs_never_opened', totalCents: 1000 };
    const forged = await webhook(sessionCompleted('evt_forged', paying, 'pi_x'), 'whsec_wrongsecret');
    expect(forged.status).toBe(400);
    expect(forged.body.error.code).toBe('invalid_signature');
    const unsignedBody = JSON.stringify(sessionCompleted('evt_x', paying, 'pi_x'));
    const unsigned = await request(h.app).post(`/webhooks/stripe/${store.slug}`).set('Content-Type', 'application/json').send(unsignedBody);
    expect(unsigned.status).toBe(400);
    expect((await api('get', `/invoices/${invoice.id}`)).body.data.status.status.status).toBe('PENDING');
  });
});
