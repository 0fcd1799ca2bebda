import request from 'supertest';
import { issueApiKey } from '../../src/accounts/api-keys';
import { createStore } from '../../src/accounts/stores';
import { type Harness, startHarness } from '../helpers/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

describe('authentication', () => {
  it('answers 401 in both envelopes without a key', async () => {
    const res = await request(h.app).get('/api/v2/api-keys');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      type: 'authentication_error',
      code: 'invalid_api_key',
      message: 'Unauthenticated.',
      status: 401,
      param: null,
      request_id: res.headers['x-request-id'],
      docs_url: expect.stringMatching(/^http/),
      error: { type: 'authentication_required', code: 'invalid_api_key', message: 'Missing API key', param: null },
    });
  });

  it('answers 401 for malformed, unknown and revoked keys', async () => {
    const store = await h.createStore();
    for (const header of ['Basic abc', 'Bearer', 'Bearer sf_live_short', `Bearer sf_live_${'A'.repeat(32)}`]) {
      const res = await request(h.app).get('/api/v2/api-keys').set('Authorization', header);
      expect(res.status).toBe(401);
      expect(res.body.error.type).toBe('authentication_required');
    }
    expect((await request(h.app).get('/api/v2/api-keys').set(bearer(store.live))).status).toBe(200);
    const list = await request(h.app).get('/api/v2/api-keys').set(bearer(store.live));
    const testKey = list.body.data.find((k: { mode: string }) => k.mode === 'test');
    const revoke = await request(h.app).delete(`/api/v2/api-keys/${testKey.id}`).set(bearer(store.live));
    expect(revoke.status).toBe(200);
    expect(revoke.body.data.revoked_at).not.toBeNull();
    expect((await request(h.app).get('/api/v2/api-keys').set(bearer(store.test))).status).toBe(401);
  });

  it('answers 403 permission_denied when the key lacks the scope', async () => {
    const store = await h.createStore();
    const key = await issueApiKey(h.db, { accountId: store.accountId, storeId: store.id, mode: 'live', scopes: ['products:read'] });
    const res = await request(h.app).get('/api/v2/api-keys').set(bearer(key.key));
    expect(res.status).toBe(403);
    expect(res.body.error).toEqual({
      type: 'permission_denied',
      code: 'missing_scope',
      message: 'This API key lacks the ops:write scope',
      param: null,
    });
  });

  it('never stores the key itself', async () => {
    const store = await h.createStore();
    const rows = await h.db.selectFrom('api_keys').selectAll().where('store_id', '=', store.id).execute();
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(JSON.stringify(row)).not.toContain(store.live.slice(12));
      expect(row.key_hash).toMatch(/^[0-9a-f]{64}$/);
    }
  });
});

describe('store selection', () => {
  it('selects the store by X-STORE for an account-wide key, and refuses other accounts’ stores', async () => {
    const first = await h.db.transaction().execute((trx) => createStore(trx, { slug: 'acme-one' }));
    const second = await h.db.transaction().execute((trx) => createStore(trx, { slug: 'acme-two', accountId: first.store.account_id }));
    const stranger = await h.createStore('stranger');
    const accountKey = await issueApiKey(h.db, { accountId: first.store.account_id, storeId: null, mode: 'live', scopes: ['ops:write'] });

    const list = (slug?: string) => {
      const req = request(h.app).get('/api/v2/api-keys').set(bearer(accountKey.key));
      return slug ? req.set('X-STORE', slug) : req;
    };
    const storeIds = (body: { data: { store_id: number | null }[] }) => new Set(body.data.map((k) => k.store_id));

    // Without X-STORE: the account's first store, as SellApp does.
    expect(storeIds((await list()).body)).toEqual(new Set([first.store.id, null]));
    expect(storeIds((await list('acme-two')).body)).toEqual(new Set([second.store.id, null]));
    const denied = await list(stranger.slug);
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('store_not_accessible');
  });

  it('keeps a store-bound key on its own store whatever X-STORE says', async () => {
    const mine = await h.createStore();
    const other = await h.createStore();
    const res = await request(h.app).get('/api/v2/api-keys').set(bearer(mine.live)).set('X-STORE', other.slug);
    expect(res.status).toBe(403);
    const own = await request(h.app).get('/api/v2/api-keys').set(bearer(mine.live)).set('X-STORE', mine.slug);
    expect(own.status).toBe(200);
  });
});

describe('key management over HTTP', () => {
  it('creates a key shown once, refuses scope and mode escalation', async () => {
    const store = await h.createStore();
    const created = await request(h.app)
      .post('/api/v2/api-keys')
      .set(bearer(store.live))
      .send({ name: 'ci', mode: 'test', scopes: ['ops:write'] });
    expect(created.status).toBe(201);
    expect(created.body.data.key).toMatch(/^sf_test_[A-Za-z0-9]{32}$/);
    const listed = await request(h.app).get('/api/v2/api-keys').set(bearer(store.live));
    expect(JSON.stringify(listed.body)).not.toContain(created.body.data.key);

    const narrow = await issueApiKey(h.db, { accountId: store.accountId, storeId: store.id, mode: 'test', scopes: ['ops:write'] });
    const escalate = await request(h.app)
      .post('/api/v2/api-keys')
      .set(bearer(narrow.key))
      .send({ mode: 'test', scopes: ['products:write'] });
    expect(escalate.status).toBe(403);
    expect(escalate.body.error.code).toBe('scope_escalation');
    const live = await request(h.app)
      .post('/api/v2/api-keys')
      .set(bearer(narrow.key))
      .send({ mode: 'live', scopes: ['ops:write'] });
    expect(live.status).toBe(403);
    expect(live.body.error.code).toBe('livemode_escalation');
  });

  it('cannot revoke a key of another store', async () => {
    const mine = await h.createStore();
    const other = await h.createStore();
    const otherKeys = await h.db.selectFrom('api_keys').select('id').where('store_id', '=', other.id).execute();
    const res = await request(h.app).delete(`/api/v2/api-keys/${otherKeys[0]!.id}`).set(bearer(mine.live));
    expect(res.status).toBe(404);
    expect(res.body.error.type).toBe('not_found');
    expect((await request(h.app).get('/api/v2/api-keys').set(bearer(other.live))).status).toBe(200);
  });
});
