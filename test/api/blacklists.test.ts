import request from 'supertest';
import { createVariant } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/** SellApp blacklists over HTTP, and the checkouts they refuse. */
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
let variantId: number;
beforeAll(async () => {
  h = await startHarness();
  store = await h.createStore();
  ({ variantId } = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'x' } } }));
});
afterAll(() => h.close());

const v1 = (method: 'get' | 'post' | 'patch' | 'delete', path: string, body?: object, key = store.live) =>
  request(h.app)[method](`/api/v1${path}`).set('Authorization', `Bearer ${key}`).send(body);
const buy = (customer: { customer_email?: string; customer_ip?: string; country?: string }) =>
  request(h.app)
    .post('/api/v2/invoices')
    .set('Authorization', `Bearer ${store.live}`)
    .send({ customer_email: 'ok@example.com', payment_method: 'PAYPAL', product_variants: { [variantId]: { quantity: 1 } }, ...customer });

describe('blacklists', () => {
  it('creates (normalised), retrieves, updates, searches and deletes rules', async () => {
    const rule = (await v1('post', '/blacklists', { type: 'ASN', data: 'as01234', description: 'bad network' }).expect(200)).body.data;
    expect(rule).toMatchObject({ type: 'ASN', data: 'AS1234', description: 'bad network', store_id: store.id });
    expect((await v1('get', `/blacklists/${rule.id}`).expect(200)).body.data.id).toBe(rule.id);
    const changed = (await v1('patch', `/blacklists/${rule.id}`, { type: 'COUNTRY', data: 'nl' }).expect(200)).body.data;
    expect(changed).toMatchObject({ type: 'COUNTRY', data: 'NL', description: 'bad network' });
    const found = await v1('post', '/blacklists/search', { filters: [{ field: 'type', operator: '=', value: 'COUNTRY' }] }).expect(200);
    expect(found.body.data.map((r: { id: number }) => r.id)).toEqual([rule.id]);
    await v1('delete', `/blacklists/${rule.id}`).expect(200);
    expect((await v1('get', `/blacklists/${rule.id}`)).status).toBe(404);
  });

  it('refuses malformed rules with 422 naming the field', async () => {
    for (const [body, param] of [
      [{ type: 'IP', data: '999.1.1.1', description: '' }, 'data'],
      [{ type: 'COUNTRY', data: 'Belgium', description: '' }, 'data'],
      [{ type: 'PHONE', data: '123', description: '' }, 'type'],
      [{ type: 'EMAIL', data: 'a@b.c' }, 'description'],
    ] as const) {
      const res = await v1('post', '/blacklists', body);
      expect(res.status).toBe(422);
      expect(res.body.error.param).toBe(param);
    }
  });

  it('refuses a matching checkout with 403, records it, and lets everyone else buy', async () => {
    await v1('post', '/blacklists', { type: 'EMAIL', data: 'Rick@Astley.com', description: 'chargebacks' }).expect(200);
    await v1('post', '/blacklists', { type: 'WILDCARD_EMAIL', data: '@spam.test', description: 'throwaway domain' }).expect(200);
    await v1('post', '/blacklists', { type: 'IP', data: '203.0.113.0/24', description: 'fraud range' }).expect(200);
    await v1('post', '/blacklists', { type: 'COUNTRY', data: 'ZZ', description: 'not served' }).expect(200);
    for (const customer of [
      { customer_email: 'rick@astley.com' },
      { customer_email: 'x@SPAM.test' },
      { customer_ip: '203.0.113.77' },
      { country: 'zz' },
    ]) {
      const res = await buy(customer);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('customer_blacklisted');
    }
    expect((await buy({ customer_ip: '198.51.100.1', country: 'BE' })).status).toBe(201);
    const invoices = await h.db.selectFrom('invoices').select('customer_email').where('store_id', '=', store.id).execute();
    expect(invoices.map((i) => i.customer_email)).toEqual(['ok@example.com']);
    const blocked = (await v1('get', '/blacklists/blocked').expect(200)).body;
    expect(blocked.meta.total).toBe(4);
    expect(blocked.data.map((b: { rule_type: string }) => b.rule_type).sort()).toEqual(['COUNTRY', 'EMAIL', 'IP', 'WILDCARD_EMAIL']);
    const events = await h.db
      .selectFrom('events')
      .select('data')
      .where('type', '=', 'checkout.blocked')
      .where('store_id', '=', store.id)
      .execute();
    expect(events).toHaveLength(4);
  });

  it('keeps stores apart', async () => {
    const other = await h.createStore();
    const rule = (await v1('post', '/blacklists', { type: 'EMAIL', data: 'mine@example.com', description: '' }).expect(200)).body.data;
    expect((await v1('get', `/blacklists/${rule.id}`, undefined, other.live)).status).toBe(404);
    expect((await v1('delete', `/blacklists/${rule.id}`, undefined, other.live)).status).toBe(404);
    expect((await v1('get', '/blacklists', undefined, other.live)).body.data).toEqual([]);
  });
});
