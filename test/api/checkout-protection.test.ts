import type { Express } from 'express';
import Stripe from 'stripe';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { openPostgres } from '../../src/db/connect';
import { createLogger } from '../../src/logger';
import { createVariant } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/**
 * Issue 24, checkout protection: the store's invoice-creation attempt limits (per IP + e-mail,
 * per IP, per e-mail, per fingerprint, with a window), counted in Postgres so that two API
 * processes share them, and Blacklist On Dispute.
 */
const WEBHOOK_SECRET = 'whsec_checkoutprotection';
const signer = new Stripe('sk_test_unused');
let h: Harness;
let other: Express;
let closeOther: () => Promise<void>;

beforeAll(async () => {
  h = await startHarness({ database: 'postgres' });
  // A second API process: its own pool on the same database.
  const second = await openPostgres(h.database.env.DATABASE_URL!, 4);
  other = createApp({
    config: h.config,
    db: second.db,
    logger: createLogger('silent'),
    temporal: h.temporal,
    taskQueue: h.taskQueue,
    storage: h.storage,
    rateLimitStore: { kind: 'postgres', pool: second.pool },
  });
  closeOther = () => second.close();
}, 120_000);
afterAll(async () => {
  await closeOther?.();
  await h?.close();
});

type Store = Awaited<ReturnType<Harness['createStore']>>;

function api(app: Express, store: Store, method: 'get' | 'post' | 'patch' | 'put', path: string, body?: object) {
  return request(app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);
}

async function storeWithVariant(limits: object) {
  const store = await h.createStore();
  const { variantId } = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'hi' } } });
  await api(h.app, store, 'patch', '/settings/checkout', { checkout_rate_limits: limits }).expect(200);
  const invoice = (app: Express, email: string, extra: object = {}) =>
    api(app, store, 'post', '/invoices', {
      customer_email: email,
      payment_method: 'PAYPAL',
      product_variants: { [variantId]: { quantity: 1 } },
      ...extra,
    });
  return { store, variantId, invoice };
}

describe('checkout settings', () => {
  it('start with every limit off and the switch off, change only what is sent, and refuse what is not valid', async () => {
    const store = await h.createStore();
    const initial = await api(h.app, store, 'get', '/settings/checkout').expect(200);
    expect(initial.body.data).toEqual({
      embed_allowed_origins: [],
      blacklist_on_dispute: false,
      disable_checkout_email: false,
      checkout_rate_limits: {
        ip_email_per_hour: null,
        ip_per_hour: null,
        email_per_hour: null,
        fingerprint_per_hour: null,
        window_seconds: null,
      },
    });
    const changed = await api(h.app, store, 'patch', '/settings/checkout', {
      embed_allowed_origins: ['https://shop.example.com/', 'http://localhost:8080'],
      checkout_rate_limits: { ip_email_per_hour: 5, window_seconds: 600 },
    }).expect(200);
    expect(changed.body.data.embed_allowed_origins).toEqual(['https://shop.example.com', 'http://localhost:8080']);
    expect(changed.body.data.checkout_rate_limits).toMatchObject({ ip_email_per_hour: 5, ip_per_hour: null, window_seconds: 600 });
    // Empty turns a limit off again; what is not sent stays.
    const emptied = await api(h.app, store, 'patch', '/settings/checkout', {
      blacklist_on_dispute: true,
      checkout_rate_limits: { ip_email_per_hour: '' },
    }).expect(200);
    expect(emptied.body.data).toMatchObject({
      blacklist_on_dispute: true,
      embed_allowed_origins: ['https://shop.example.com', 'http://localhost:8080'],
      checkout_rate_limits: { ip_email_per_hour: null, window_seconds: 600 },
    });
    for (const bad of [
      { embed_allowed_origins: ['https://shop.example.com/checkout'] },
      { embed_allowed_origins: ['javascript:alert(1)'] },
      { checkout_rate_limits: { ip_per_hour: 0 } },
      { checkout_rate_limits: { window_seconds: -5 } },
      { checkout_rate_limits: { per_country: 3 } },
    ]) {
      const refused = await api(h.app, store, 'patch', '/settings/checkout', bad);
      expect(refused.status).toBe(422);
      expect(refused.body.errors).toBeDefined();
    }
    // A test key reads them but may not change them.
    const test = await request(h.app).patch('/api/v2/settings/checkout').set('Authorization', `Bearer ${store.test}`).send({});
    expect(test.status).toBe(403);
  });
});

describe('invoice-creation attempt limits, shared by two API processes', () => {
  it('count per IP + e-mail across both apps, answer 429 with Retry-After in the envelope, and leave other pairs alone', async () => {
    const { invoice } = await storeWithVariant({ ip_email_per_hour: 3, window_seconds: 120 });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1)
      statuses.push((await invoice(i % 2 === 0 ? h.app : other, 'pair@e.co', { customer_ip: '203.0.113.7' })).status);
    // Each process alone would have allowed 3 (6 in all).
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
    const limited = await invoice(other, 'PAIR@e.co', { customer_ip: '203.0.113.7' });
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(100);
    expect(retryAfter).toBeLessThanOrEqual(120);
    expect(limited.body).toMatchObject({ message: 'Too Many Attempts.', retry_after: retryAfter, code: 'checkout_attempts_exceeded' });
    expect(limited.body.error).toMatchObject({ type: 'rate_limited', code: 'checkout_attempts_exceeded' });
    // Another e-mail from the same address, or the same e-mail from another: other pairs.
    expect((await invoice(h.app, 'other@e.co', { customer_ip: '203.0.113.7' })).status).toBe(201);
    expect((await invoice(h.app, 'pair@e.co', { customer_ip: '203.0.113.8' })).status).toBe(201);
    // Without the buyer's IP the pair limit cannot apply.
    expect((await invoice(h.app, 'pair@e.co')).status).toBe(201);
  });

  it('no race: concurrent attempts on both apps let exactly the limit through', async () => {
    const { invoice } = await storeWithVariant({ email_per_hour: 4 });
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => invoice(i % 2 === 0 ? h.app : other, 'rush@e.co').then((r) => r.status)),
    );
    expect(results.filter((s) => s === 201)).toHaveLength(4);
    expect(results.filter((s) => s === 429)).toHaveLength(8);
  });

  it('applies the optional per-IP and per-fingerprint limits; a limit left empty counts nothing', async () => {
    const { invoice } = await storeWithVariant({ ip_per_hour: 2, fingerprint_per_hour: 1 });
    expect((await invoice(h.app, 'a@e.co', { customer_ip: '198.51.100.1' })).status).toBe(201);
    expect((await invoice(other, 'b@e.co', { customer_ip: '198.51.100.1' })).status).toBe(201);
    expect((await invoice(h.app, 'c@e.co', { customer_ip: '198.51.100.1' })).status).toBe(429);
    expect((await invoice(h.app, 'd@e.co', { checkout_fingerprint: 'fp-1' })).status).toBe(201);
    const fingerprinted = await invoice(other, 'e@e.co', { checkout_fingerprint: 'fp-1' });
    expect(fingerprinted.status).toBe(429);
    // No window set: blocked until the hour is over.
    expect(Number(fingerprinted.headers['retry-after'])).toBeGreaterThan(3500);
    // No e-mail limit: the same e-mail again and again is fine.
    for (let i = 0; i < 4; i += 1) expect((await invoice(h.app, 'same@e.co')).status).toBe(201);
    // A refused attempt made no invoice.
    const made = await h.db.selectFrom('invoices').select('customer_email').where('customer_email', 'in', ['c@e.co', 'e@e.co']).execute();
    expect(made).toEqual([]);
  });

  it('counts failed attempts too, and lets the client try again once the window is over', async () => {
    const { store, invoice } = await storeWithVariant({ email_per_hour: 2, window_seconds: 1 });
    const bad = await api(h.app, store, 'post', '/invoices', {
      customer_email: 'retry@e.co',
      payment_method: 'PAYPAL',
      product_variants: { 999999: { quantity: 1 } },
    });
    expect(bad.status).toBe(422);
    expect((await invoice(h.app, 'retry@e.co')).status).toBe(201);
    const limited = await invoice(other, 'retry@e.co');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    await new Promise((r) => setTimeout(r, 1100));
    // A new hour starts with the first attempt after the block.
    expect((await invoice(other, 'retry@e.co')).status).toBe(201);
    expect((await invoice(h.app, 'retry@e.co')).status).toBe(201);
    expect((await invoice(h.app, 'retry@e.co')).status).toBe(429);
  });
});

describe('Blacklist On Dispute', () => {
  function postSigned(app: Express, store: Store, event: object) {
    const payload = JSON.stringify(event);
    const header = signer.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
    return request(app)
      .post(`/webhooks/stripe/${store.slug}`)
      .set('Stripe-Signature', header)
      .set('Content-Type', 'application/json')
      .send(payload);
  }

  async function paidOrder(store: Store, email: string, ip: string) {
    const { variantId } = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'hi' } } });
    const created = await api(h.app, store, 'post', '/invoices', {
      customer_email: email,
      customer_ip: ip,
      payment_method: 'STRIPE',
      product_variants: { [variantId]: { quantity: 1 } },
    }).expect(201);
    await api(h.app, store, 'patch', `/invoices/${created.body.data.id}/mark-completed`).expect(200);
    return created.body.data.id as number;
  }

  const disputeEvent = (id: string, invoiceId: number) => ({
    id,
    object: 'event',
    type: 'charge.dispute.created',
    livemode: true,
    created: 1,
    data: {
      object: { id: `dp_${id}`, object: 'dispute', charge: 'ch_1', payment_intent: null, metadata: { invoice_id: String(invoiceId) } },
    },
  });

  const rulesOf = (storeId: number) =>
    h.db.selectFrom('blacklists').select(['type', 'data', 'description']).where('store_id', '=', storeId).orderBy('type').execute();

  async function stripeStore(blacklistOnDispute: boolean) {
    const store = await h.createStore();
    await api(h.app, store, 'put', '/settings/payment-methods/STRIPE', {
      secret_key: 'sk_live_protection',
      webhook_secret: WEBHOOK_SECRET,
    }).expect(200);
    await api(h.app, store, 'patch', '/settings/checkout', { blacklist_on_dispute: blacklistOnDispute }).expect(200);
    return store;
  }

  it("adds the disputing customer's e-mail and IP once, however often the dispute is reported, and then refuses them", async () => {
    const store = await stripeStore(true);
    const invoiceId = await paidOrder(store, 'Chargeback@E.co', '192.0.2.44');
    // A second order of theirs, paid before the first dispute.
    const again = await paidOrder(store, 'chargeback@e.co', '192.0.2.44');
    const first = await postSigned(h.app, store, disputeEvent(`evt_dispute_${invoiceId}`, invoiceId));
    expect(first.status).toBe(200);
    expect(first.body.outcome).toBe('disputed');
    // The same event again (Stripe redelivers), through the other process, and a second event for it.
    await postSigned(other, store, disputeEvent(`evt_dispute_${invoiceId}`, invoiceId)).expect(200);
    await postSigned(other, store, disputeEvent(`evt_dispute_again_${invoiceId}`, invoiceId)).expect(200);
    expect(await rulesOf(store.id)).toEqual([
      { type: 'EMAIL', data: 'chargeback@e.co', description: `Dispute opened on order #${invoiceId}` },
      { type: 'IP', data: '192.0.2.44', description: `Dispute opened on order #${invoiceId}` },
    ]);
    // Their second order disputed adds nothing new either.
    await postSigned(h.app, store, disputeEvent(`evt_dispute_${again}`, again)).expect(200);
    expect(await rulesOf(store.id)).toHaveLength(2);
    const { variantId } = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'hi' } } });
    const refused = await api(h.app, store, 'post', '/invoices', {
      customer_email: 'someone.else@e.co',
      customer_ip: '192.0.2.44',
      payment_method: 'STRIPE',
      product_variants: { [variantId]: { quantity: 1 } },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('customer_blacklisted');
  });

  it('adds nothing while the switch is off', async () => {
    const store = await stripeStore(false);
    const invoiceId = await paidOrder(store, 'calm@e.co', '192.0.2.45');
    const disputed = await postSigned(h.app, store, disputeEvent(`evt_dispute_off_${invoiceId}`, invoiceId)).expect(200);
    expect(disputed.body.outcome).toBe('disputed');
    expect(await rulesOf(store.id)).toEqual([]);
  });
});
