import request from 'supertest';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/** License keys an order delivered: the v2 key and instance routes, activation and validation. */
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
beforeAll(async () => {
  // Concurrent activations need a real connection pool: Postgres.
  h = await startHarness({ worker: true, database: 'postgres' });
  store = await h.createStore();
});
afterAll(() => h.close());

const api = (method: 'get' | 'post' | 'patch', path: string, body?: object, key = store.live) =>
  request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${key}`).send(body);

/** Buys `quantity` keys with an activation limit, and returns their ids and strings. */
async function buyKeys(limit: number | null, quantity = 1) {
  const { variantId } = await createVariant(h, store.live, {
    deliverable: { types: ['LICENSE_KEY'], data: { license_key: { prefix: 'APP', limit, expires_in_days: null } } },
  });
  const invoice = (
    await api('post', '/invoices', {
      customer_email: 'k@e.co',
      payment_method: 'PAYPAL',
      product_variants: { [variantId]: { quantity } },
    }).expect(201)
  ).body.data;
  await api('patch', `/invoices/${invoice.id}/mark-completed`).expect(200);
  await waitFor(
    () => api('get', `/invoices/${invoice.id}`).then((r) => r.body.data),
    (b) => b.status.status.status === 'COMPLETED',
  );
  return h.db.selectFrom('license_keys').select(['id', 'key']).where('invoice_id', '=', invoice.id).orderBy('id').execute();
}

describe('license keys', () => {
  it('activates up to the limit (a reinstall reuses its instance), validates, and lists instances', async () => {
    const [key] = await buyKeys(2);
    const view = (await api('get', `/license-keys/${key!.id}`).expect(200)).body.data;
    expect(view).toMatchObject({
      id: key!.id,
      key: key!.key,
      limit: 2,
      active: 1,
      status: 'ACTIVE',
      is_expired: false,
      expires_at: null,
      store_id: store.id,
    });
    const a = (await api('post', '/licenses/activate', { license_key: key!.key, instance_name: 'laptop' }).expect(200)).body.data;
    expect(a).toMatchObject({ license_key_id: key!.id, name: 'laptop', store_id: store.id });
    expect((await api('post', '/licenses/activate', { license_key: key!.key, instance_name: 'laptop' }).expect(200)).body.data.id).toBe(
      a.id,
    );
    await api('post', '/licenses/activate', { license_key: key!.key, instance_name: 'desktop' }).expect(200);
    const full = await api('post', '/licenses/activate', { license_key: key!.key, instance_name: 'phone' });
    expect(full.status).toBe(409);
    expect(full.body.error.code).toBe('license_limit_reached');

    const valid = (await api('post', '/licenses/validate', { license_key: key!.key, instance_id: a.id }).expect(200)).body.data;
    expect(valid).toMatchObject({ valid: true, reason: null, license_key: { id: key!.id, instances_count: 2 }, instance: { id: a.id } });
    const stranger = (
      await api('post', '/licenses/validate', { license_key: key!.key, instance_id: '9ebd3be0-de72-4da7-805e-bc99d1ac1186' }).expect(200)
    ).body.data;
    expect(stranger).toMatchObject({ valid: false, reason: 'instance_not_found' });
    // Not a uuid at all: no instance either, not a database error.
    const garbled = (await api('post', '/licenses/validate', { license_key: key!.key, instance_id: 'not-a-uuid' }).expect(200)).body.data;
    expect(garbled).toMatchObject({ valid: false, reason: 'instance_not_found' });
    expect((await api('post', '/licenses/validate', { license_key: 'NOPE-1' }).expect(200)).body.data).toMatchObject({
      valid: false,
      reason: 'not_found',
      license_key: null,
    });
    expect((await api('get', `/license-keys/${key!.id}/instances`).expect(200)).body.data.map((i: { name: string }) => i.name)).toEqual([
      'laptop',
      'desktop',
    ]);
    expect((await api('get', `/license-keys/${key!.id}/instances/${a.id}`).expect(200)).body.data.name).toBe('laptop');
    expect((await api('get', '/license-key-instances').expect(200)).body.meta.total).toBeGreaterThanOrEqual(2);
  });

  it('a lower limit removes the oldest activations; inactive and expired keys neither activate nor validate', async () => {
    const [key] = await buyKeys(3);
    const first = (await api('post', '/licenses/activate', { license_key: key!.key, instance_name: 'one' }).expect(200)).body.data;
    const second = (await api('post', '/licenses/activate', { license_key: key!.key, instance_name: 'two' }).expect(200)).body.data;
    const lowered = (await api('patch', `/license-keys/${key!.id}`, { limit: 1 }).expect(200)).body.data;
    expect(lowered).toMatchObject({ limit: 1, instances_count: 1 });
    expect((await api('post', '/licenses/validate', { license_key: key!.key, instance_id: first.id })).body.data.valid).toBe(false);
    expect((await api('post', '/licenses/validate', { license_key: key!.key, instance_id: second.id })).body.data.valid).toBe(true);

    await api('patch', `/license-keys/${key!.id}`, { active: false }).expect(200);
    expect((await api('post', '/licenses/activate', { license_key: key!.key, instance_name: 'two' })).body.error.code).toBe(
      'license_inactive',
    );
    expect((await api('post', '/licenses/validate', { license_key: key!.key, instance_id: second.id })).body.data).toMatchObject({
      valid: false,
      reason: 'inactive',
    });
    const expired = (await api('patch', `/license-keys/${key!.id}`, { active: true, expires_at: '2020-01-01T00:00:00Z' }).expect(200)).body
      .data;
    expect(expired).toMatchObject({ status: 'EXPIRED', is_expired: true, active: 1 });
    expect((await api('post', '/licenses/activate', { license_key: key!.key, instance_name: 'three' })).body.error.code).toBe(
      'license_expired',
    );
    expect((await api('patch', `/license-keys/${key!.id}`, { limit: 0 })).status).toBe(422);
  });

  it('lets exactly one of many concurrent activations take the last slot', async () => {
    const [key] = await buyKeys(1);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => api('post', '/licenses/activate', { license_key: key!.key, instance_name: `device-${i}` })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409 && r.body.error.code === 'license_limit_reached')).toHaveLength(9);
    const instances = await h.db.selectFrom('license_key_instances').select('id').where('license_key_id', '=', key!.id).execute();
    expect(instances).toHaveLength(1);
  });

  it('keeps stores apart and validates input', async () => {
    const [key] = await buyKeys(null);
    const other = await h.createStore();
    expect((await api('get', `/license-keys/${key!.id}`, undefined, other.live)).status).toBe(404);
    expect((await api('post', '/licenses/activate', { license_key: key!.key, instance_name: 'x' }, other.live)).status).toBe(404);
    expect((await api('post', '/licenses/validate', { license_key: key!.key }, other.live)).body.data.valid).toBe(false);
    expect((await api('post', '/licenses/activate', { license_key: key!.key })).status).toBe(422);
    expect((await api('get', `/license-keys/${key!.id}/instances/not-a-uuid`)).status).toBe(422);
    expect((await api('get', '/license-keys/99999999999')).status).toBe(422);
  });
});
