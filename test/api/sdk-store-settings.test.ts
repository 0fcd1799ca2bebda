import request from 'supertest';
import { issueApiKey } from '../../src/accounts/api-keys';
import { type Harness, startHarness } from '../helpers/harness';

/**
 * The official store settings (`/v2/store/settings`, `…/general`) and `POST /v2/stores`: the
 * store's own row, changed through the spec's models; only an account-wide key adds stores.
 */
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
let accountKey: string;

const api = (method: 'get' | 'post' | 'put' | 'patch', path: string, body?: object, key = store.live) =>
  request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${key}`).send(body);

beforeAll(async () => {
  h = await startHarness();
  store = await h.createStore('settings-shop');
  accountKey = (await issueApiKey(h.db, { accountId: store.accountId, storeId: null, mode: 'live', scopes: ['ops:write'] })).key;
}, 120_000);
afterAll(async () => {
  await h?.close();
});

describe('/v2/store/settings', () => {
  it('reads the store, replaces the general settings with PUT and changes only the fields sent with PATCH', async () => {
    expect((await api('get', '/store/settings').expect(200)).body.data).toEqual({
      id: store.id,
      name: 'settings-shop',
      slug: 'settings-shop',
      visibility: 'PUBLIC',
      timezone: 'UTC',
      currency: 'USD',
      dark_mode: null,
      status: { accessible: true, verified: true, locked: false },
      analytics: {},
      // Abandoned-cart reminders are off until the seller saves some (test/workflows/checkout-reminders.test.ts).
      marketing: {
        abandoned_cart: {
          enabled: false,
          min_total_cents: null,
          max_total_cents: null,
          reminders: [],
          incentive_mode: null,
          coupon_id: null,
          send_incentive_on_step: null,
        },
      },
    });
    await api('put', '/store/settings/general', {
      name: 'Night Shop',
      visibility: 'HIDDEN',
      timezone: 'Europe/Amsterdam',
      currency: 'eur',
      dark_mode: 'dark',
    }).expect(200);
    const patched = (await api('patch', '/store/settings/general', { name: 'Night Shop 2', dark_mode: 'null' }).expect(200)).body.data;
    expect(patched).toMatchObject({
      name: 'Night Shop 2',
      visibility: 'HIDDEN',
      timezone: 'Europe/Amsterdam',
      currency: 'EUR',
      dark_mode: null,
    });
    // The same row the account routes read.
    expect((await api('get', `/stores/${store.id}`).expect(200)).body.data.name).toBe('Night Shop 2');
    // PUT replaces: a colour scheme not sent is the theme's own again.
    await api('patch', '/store/settings/general', { dark_mode: 'light' }).expect(200);
    const replaced = (
      await api('put', '/store/settings/general', { name: 'Day Shop', visibility: 'PUBLIC', timezone: 'UTC', currency: 'USD' }).expect(200)
    ).body.data;
    expect(replaced).toMatchObject({ name: 'Day Shop', dark_mode: null, timezone: 'UTC' });
  });

  it('refuses bad input with 422 in the error envelope and changes nothing', async () => {
    const cases: [string, object, string][] = [
      ['put', { name: 'X', visibility: 'PUBLIC', timezone: 'UTC' }, 'currency'],
      ['patch', { timezone: 'Mars/Olympus' }, 'timezone'],
      ['patch', { visibility: 'SECRET' }, 'visibility'],
      ['patch', { currency: 'EURO' }, 'currency'],
      ['patch', { name: '' }, 'name'],
      ['patch', { dark_mode: 'dim' }, 'dark_mode'],
    ];
    for (const [method, body, param] of cases) {
      const res = await api(method as 'put' | 'patch', '/store/settings/general', body);
      expect([res.status, res.body.type, res.body.param, res.body.error?.param]).toEqual([422, 'validation_error', param, param]);
    }
    expect((await api('get', '/store/settings').expect(200)).body.data.name).toBe('Day Shop');
  });
});

describe('POST /v2/stores', () => {
  it('creates a store of the account for an account-wide key, which then acts on it with X-STORE', async () => {
    const res = await api('post', '/stores', { name: 'Second', slug: 'Second-Shop' }, accountKey).expect(201);
    expect(res.body.data).toEqual({
      id: expect.any(String),
      slug: 'second-shop',
      name: 'Second',
      visibility: 'PUBLIC',
      storefront_url: expect.stringMatching(/\/stores\/second-shop$/),
      dashboard_url: expect.any(String),
    });
    const listed = (await api('get', '/stores', undefined, accountKey).expect(200)).body.data.map((s: { slug: string }) => s.slug);
    expect(listed).toEqual(['settings-shop', 'second-shop']);
    const there = await request(h.app)
      .get('/api/v2/store/settings')
      .set('Authorization', `Bearer ${accountKey}`)
      .set('X-STORE', 'second-shop')
      .expect(200);
    expect(there.body.data).toMatchObject({ id: Number(res.body.data.id), name: 'Second', visibility: 'PUBLIC' });
  });

  it('refuses a store-bound key (403), a taken slug (409) and a malformed one (422)', async () => {
    const bound = await api('post', '/stores', { name: 'Nope', slug: 'nope-shop' });
    expect([bound.status, bound.body.code]).toEqual([403, 'account_key_required']);
    const taken = await api('post', '/stores', { name: 'Again', slug: 'settings-shop' }, accountKey);
    expect([taken.status, taken.body.code, taken.body.param]).toEqual([409, 'slug_taken', 'slug']);
    for (const slug of ['-bad', 'api', 'with space', 'x'.repeat(64)]) {
      const res = await api('post', '/stores', { name: 'Bad', slug }, accountKey);
      expect([res.status, res.body.param]).toEqual([422, 'slug']);
    }
    expect((await api('post', '/stores', { slug: 'no-name' }, accountKey)).status).toBe(422);
    // A reference past Postgres' integer is looked up as a slug, not sent to the id column (was a 500).
    expect((await api('get', '/stores/3629010821', undefined, accountKey)).status).toBe(404);
    expect((await h.db.selectFrom('stores').select('slug').where('slug', '=', 'nope-shop').executeTakeFirst()) ?? null).toBeNull();
  });
});
