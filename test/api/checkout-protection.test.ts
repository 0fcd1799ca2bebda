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

describe('attempt limits on fast checkout and the hosted page', () => {
  let clients = 0;
  const newClient = () => `198.51.100.${(clients += 1)}`;

  /** A store with these limits and a product; every attempt below names an unknown coupon, so each is refused (422) but counted. */
  async function storefront(limits: object) {
    const { store, variantId } = await storeWithVariant(limits);
    const { product_id: productId } = await h.db
      .selectFrom('product_variants')
      .select('product_id')
      .where('id', '=', variantId)
      .executeTakeFirstOrThrow();
    const fast = (client: string, body: object) =>
      request(h.app)
        .post(`/api/v2/fast-checkout/${store.id}/${productId}/${variantId}`)
        .set('X-Forwarded-For', client)
        .send({ payment_method: 'PAYPAL', quantity: 1, coupon: 'NO-SUCH-COUPON', ...body });
    const pagePath = `/checkout/${store.slug}/${productId}`;
    /** The hosted page's form, as a browser posts it (with its cookies, when it has any). */
    const form = (client: string, email: string, cookie?: string) => {
      const req = request(h.app).post(pagePath).set('X-Forwarded-For', client).type('form');
      if (cookie) req.set('Cookie', cookie);
      return req.send({
        variant: String(variantId),
        quantity: '1',
        customer_email: email,
        coupon: 'NO-SUCH-COUPON',
        payment_method: 'PAYPAL',
      });
    };
    /** A browser's first visit: the page gives it its fingerprint cookie. */
    const visit = async () => {
      const page = await request(h.app).get(pagePath).set('X-Forwarded-For', newClient()).expect(200);
      const cookie = ([] as string[]).concat(page.headers['set-cookie'] ?? []).find((c) => c.startsWith('sf_checkout_fp='));
      expect(cookie).toMatch(/^sf_checkout_fp=[\w-]{22,}; .*Path=\/checkout; .*HttpOnly; SameSite=Lax/);
      return cookie!.split(';')[0]!;
    };
    return { fast, form, visit, pagePath };
  }

  const refused = (res: request.Response) => {
    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  };

  it('fast checkout: per IP, per e-mail and per checkout fingerprint (either name), 429 with Retry-After in the embed shape', async () => {
    const perIp = await storefront({ ip_per_hour: 2, window_seconds: 600 });
    const ip = newClient();
    expect((await perIp.fast(ip, { customer_email: 'a@e.co' })).status).toBe(422);
    expect((await perIp.fast(ip, { customer_email: 'b@e.co' })).status).toBe(422);
    const byIp = await perIp.fast(ip, { customer_email: 'c@e.co' });
    refused(byIp);
    expect(byIp.headers['retry-after']).toBe('600');
    expect(byIp.body).toMatchObject({ message: expect.any(String), errors: {} });
    expect((await perIp.fast(newClient(), { customer_email: 'c@e.co' })).status).toBe(422);

    const perEmail = await storefront({ email_per_hour: 1 });
    expect((await perEmail.fast(newClient(), { customer_email: 'same@e.co' })).status).toBe(422);
    refused(await perEmail.fast(newClient(), { customer_email: 'SAME@e.co' }));
    expect((await perEmail.fast(newClient(), { customer_email: 'other@e.co' })).status).toBe(422);

    const perFingerprint = await storefront({ fingerprint_per_hour: 1 });
    expect((await perFingerprint.fast(newClient(), { customer_email: 'f1@e.co', checkout_fingerprint: 'fp-a' })).status).toBe(422);
    refused(await perFingerprint.fast(newClient(), { customer_email: 'f2@e.co', checkout_fingerprint: 'fp-a' }));
    // The name fast checkout took first counts the same.
    refused(await perFingerprint.fast(newClient(), { customer_email: 'f3@e.co', fingerprint: 'fp-a' }));
    expect((await perFingerprint.fast(newClient(), { customer_email: 'f4@e.co', checkout_fingerprint: 'fp-b' })).status).toBe(422);
    // No fingerprint sent: that limit does not apply.
    expect((await perFingerprint.fast(newClient(), { customer_email: 'f5@e.co' })).status).toBe(422);
    expect((await perFingerprint.fast(newClient(), { customer_email: 'f6@e.co' })).status).toBe(422);
  });

  it("the hosted page: per IP, per e-mail, and per the browser's fingerprint cookie, the form answered 429 with Retry-After", async () => {
    const perIp = await storefront({ ip_per_hour: 1 });
    const ip = newClient();
    expect((await perIp.form(ip, 'a@e.co')).status).toBe(422);
    const byIp = await perIp.form(ip, 'b@e.co');
    refused(byIp);
    expect(byIp.text).toContain('Too many attempts');

    const perEmail = await storefront({ email_per_hour: 1 });
    expect((await perEmail.form(newClient(), 'same@e.co')).status).toBe(422);
    refused(await perEmail.form(newClient(), 'same@e.co'));

    const perFingerprint = await storefront({ fingerprint_per_hour: 1 });
    const browser = await perFingerprint.visit();
    // The same browser from another address with another e-mail is still the same browser.
    expect((await perFingerprint.form(newClient(), 'f1@e.co', browser)).status).toBe(422);
    refused(await perFingerprint.form(newClient(), 'f2@e.co', browser));
    // Another browser has its own; the page gives a browser that has one no new one.
    const second = await perFingerprint.visit();
    expect(second).not.toBe(browser);
    expect((await perFingerprint.form(newClient(), 'f3@e.co', second)).status).toBe(422);
    const again = await request(h.app).get(perFingerprint.pagePath).set('Cookie', second).set('X-Forwarded-For', newClient()).expect(200);
    expect(again.headers['set-cookie']).toBeUndefined();
    // A client that keeps no cookies sends no fingerprint: that limit does not apply to it.
    expect((await perFingerprint.form(newClient(), 'f4@e.co')).status).toBe(422);
    expect((await perFingerprint.form(newClient(), 'f5@e.co')).status).toBe(422);
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
