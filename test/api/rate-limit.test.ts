import request from 'supertest';
import { issueApiKey } from '../../src/accounts/api-keys';
import { createApp } from '../../src/api/app';
import { rateLimitStoreFor } from '../../src/api/middleware/rate-limit';
import { openPostgres } from '../../src/db/connect';
import { createLogger } from '../../src/logger';
import { type Harness, startHarness } from '../helpers/harness';

let h: Harness;
beforeAll(async () => {
  // Postgres, as in production: the limits live in the database every API process shares.
  h = await startHarness({
    database: 'postgres',
    env: { RATE_LIMIT_PER_MINUTE: '60', RATE_LIMIT_BURST: '60', RATE_LIMIT_PUBLIC_PER_MINUTE: '60', RATE_LIMIT_PUBLIC_BURST: '5' },
  });
});
afterAll(() => h.close());

async function hammer(key: string, count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i += 1) {
    statuses.push((await request(h.app).get('/api/v2/api-keys').set('Authorization', `Bearer ${key}`)).status);
  }
  return statuses;
}

describe('rate limiting', () => {
  it('allows a burst of 60 per key by default, then 429 with Retry-After and when to retry', async () => {
    const store = await h.createStore();
    const statuses = await hammer(store.live, 60);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const limited = await request(h.app).get('/api/v2/api-keys').set('Authorization', `Bearer ${store.live}`);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.body.error).toMatchObject({ type: 'rate_limited', code: 'rate_limit_exceeded' });
    expect(limited.body.retry_after).toBe(retryAfter);
    expect(Date.parse(limited.body.retry_at)).toBeGreaterThan(Date.now());
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');
  });

  it('isolates keys: a noisy key does not starve another key of the same store', async () => {
    const store = await h.createStore();
    await hammer(store.live, 61);
    expect((await request(h.app).get('/api/v2/api-keys').set('Authorization', `Bearer ${store.test}`)).status).toBe(200);
  });

  it('honours a per-key limit over the store and default limits', async () => {
    const store = await h.createStore();
    await h.db.updateTable('stores').set({ rate_limit_per_minute: 1000, rate_limit_burst: 1000 }).where('id', '=', store.id).execute();
    const tight = await issueApiKey(h.db, {
      accountId: store.accountId,
      storeId: store.id,
      mode: 'live',
      scopes: ['ops:write'],
      rateLimitPerMinute: 3,
      rateLimitBurst: 3,
    });
    expect(await hammer(tight.key, 4)).toEqual([200, 200, 200, 429]);
    // The store's own keys get the store's raised limit.
    const roomy = await hammer(store.live, 80);
    expect(roomy.every((s) => s === 200)).toBe(true);
  });

  it('holds one limit across API processes: two apps on their own connections share the counters', async () => {
    const store = await h.createStore();
    const tight = await issueApiKey(h.db, {
      accountId: store.accountId,
      storeId: store.id,
      mode: 'live',
      scopes: ['ops:write'],
      rateLimitPerMinute: 4,
      rateLimitBurst: 4,
    });
    const second = await openPostgres(h.database.env.DATABASE_URL!, 2);
    const counters = rateLimitStoreFor(second);
    try {
      const other = createApp({
        config: h.config,
        db: second.db,
        logger: createLogger('silent'),
        temporal: h.temporal,
        taskQueue: h.taskQueue,
        storage: h.storage,
        rateLimitStore: counters,
      });
      const statuses: number[] = [];
      for (let i = 0; i < 6; i += 1) {
        const app = i % 2 === 0 ? h.app : other;
        statuses.push((await request(app).get('/api/v2/api-keys').set('Authorization', `Bearer ${tight.key}`)).status);
      }
      // In memory each process would have allowed 4 (8 in all).
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
      // Counters commit without waiting for the WAL flush, so one busy key does not queue on it.
      if (counters.kind !== 'postgres') throw new Error('expected Postgres counters');
      expect((await counters.pool.query('show synchronous_commit')).rows[0]).toEqual({ synchronous_commit: 'off' });
      expect((await second.pool.query('show synchronous_commit')).rows[0]).toEqual({ synchronous_commit: 'on' });
    } finally {
      await counters.close();
      await second.close();
    }
  });

  it('limits routes without a key per client address, in the envelope', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await request(h.app).post('/webhooks/stripe/no-such-store').send('{}')).status);
    expect(statuses).toEqual([404, 404, 404, 404, 404, 429]);
    const limited = await request(h.app).get('/files/anything');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited.body.error).toMatchObject({ type: 'rate_limited', code: 'rate_limit_exceeded' });
  });
});
