import { createHash } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import type { TrustProxy } from '../../src/api/trust-proxy';
import { createLogger } from '../../src/logger';
import { createVariant } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/**
 * TRUST_PROXY: X-Forwarded-For names the buyer only through the proxies the setting trusts, and
 * a trusted proxy's own address is never taken for a buyer's (counted, stored, blacklisted). Seen
 * through the store's per-IP attempt limit on fast checkout, which counts every attempt by the
 * buyer's address (a refused one too), and the counter rows it leaves.
 */
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ database: 'postgres' });
}, 120_000);
afterAll(async () => {
  await h?.close();
});

const appTrusting = (trustProxy: TrustProxy): Express =>
  createApp({
    config: { ...h.config, api: { ...h.config.api, trustProxy } },
    db: h.db,
    logger: createLogger('silent'),
    temporal: h.temporal,
    taskQueue: h.taskQueue,
    storage: h.storage,
  });

/** A store that lets one checkout attempt an hour through per client address. */
async function storeAllowingOneAttemptPerIp() {
  const store = await h.createStore();
  const { productId, variantId } = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'hi' } } });
  await request(h.app)
    .patch('/api/v2/settings/checkout')
    .set('Authorization', `Bearer ${store.live}`)
    .send({ checkout_rate_limits: { ip_per_hour: 1 } })
    .expect(200);
  /** One attempt (refused for its unknown coupon, but counted); the answer's status. */
  const attempt = async (app: Express, forwardedFor?: string) => {
    const req = request(app).post(`/api/v2/fast-checkout/${store.id}/${productId}/${variantId}`);
    if (forwardedFor !== undefined) req.set('X-Forwarded-For', forwardedFor);
    const res = await req.send({ customer_email: 'b@e.co', payment_method: 'STRIPE', quantity: 1, coupon: 'NO-SUCH-COUPON' });
    return res.status;
  };
  /** The addresses counted so far, among those asked about. */
  const counted = async (...addresses: string[]) => {
    const rows = await h.db
      .selectFrom('checkout_attempts')
      .select('key_hash')
      .where('store_id', '=', store.id)
      .where('scope', '=', 'ip')
      .execute();
    const hashes = new Set(rows.map((r) => r.key_hash));
    return addresses.filter((a) => hashes.has(createHash('sha256').update(`ip:${a}`).digest('hex')));
  };
  return { attempt, counted };
}

describe('TRUST_PROXY', () => {
  it('by default (loopback) takes the buyer from X-Forwarded-For sent by a local proxy', async () => {
    const { attempt, counted } = await storeAllowingOneAttemptPerIp();
    const app = appTrusting(['loopback']);
    expect(await attempt(app, '203.0.113.1')).toBe(422);
    expect(await attempt(app, '203.0.113.2')).toBe(422);
    expect(await attempt(app, '203.0.113.1')).toBe(429);
    expect(await counted('203.0.113.1', '203.0.113.2')).toEqual(['203.0.113.1', '203.0.113.2']);
  });

  it('trusting no proxy (0), ignores X-Forwarded-For: the connecting address is the buyer', async () => {
    const { attempt, counted } = await storeAllowingOneAttemptPerIp();
    const app = appTrusting(0);
    expect(await attempt(app, '203.0.113.1')).toBe(422);
    // Another claimed address, the same connection: the same client.
    expect(await attempt(app, '203.0.113.2')).toBe(429);
    expect(await counted('203.0.113.1', '203.0.113.2', '127.0.0.1', '::ffff:127.0.0.1')).toHaveLength(1);
    expect(await counted('203.0.113.1', '203.0.113.2')).toEqual([]);
  });

  it('with a hop count, believes only that many hops: an address the buyer prepends is not taken', async () => {
    const { attempt, counted } = await storeAllowingOneAttemptPerIp();
    const app = appTrusting(1);
    expect(await attempt(app, '10.9.9.9, 203.0.113.5')).toBe(422);
    // The buyer forges a different first hop: the proxy's entry (the last one) still names them.
    expect(await attempt(app, '10.8.8.8, 203.0.113.5')).toBe(429);
    expect(await counted('203.0.113.5', '10.9.9.9', '10.8.8.8')).toEqual(['203.0.113.5']);
  });

  it('with a CIDR list, believes only proxies in it', async () => {
    const { attempt, counted } = await storeAllowingOneAttemptPerIp();
    // The test's connection comes from loopback, which this list does not name.
    const app = appTrusting(['10.0.0.0/8']);
    expect(await attempt(app, '203.0.113.7')).toBe(422);
    expect(await attempt(app, '203.0.113.8')).toBe(429);
    expect(await counted('203.0.113.7', '203.0.113.8')).toEqual([]);
    // Trusted hops are walked past up to the first untrusted one: loopback, then 10.1.2.3, names 203.0.113.9.
    const both = appTrusting(['loopback', '10.0.0.0/8']);
    expect(await attempt(both, '203.0.113.9, 10.1.2.3')).toBe(422);
    expect(await attempt(both, '203.0.113.9')).toBe(429);
    expect(await counted('203.0.113.9', '10.1.2.3')).toEqual(['203.0.113.9']);
  });

  it("never counts a trusted proxy's own address as a buyer's (a proxy that sent no X-Forwarded-For)", async () => {
    const { attempt, counted } = await storeAllowingOneAttemptPerIp();
    const app = appTrusting(['loopback', '10.0.0.0/8']);
    // Every buyer behind it would share this address: it is nobody's, so no per-IP limit applies.
    expect(await attempt(app)).toBe(422);
    expect(await attempt(app)).toBe(422);
    expect(await attempt(app, '10.1.2.3')).toBe(422);
    expect(await counted('127.0.0.1', '::ffff:127.0.0.1', '10.1.2.3')).toEqual([]);
  });
});
