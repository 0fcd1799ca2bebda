import request from 'supertest';
import { claimSerials, OutOfStockError } from '../../src/catalog/serial-stock';
import { type Harness, startHarness } from '../helpers/harness';

let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
let productId: number;
beforeAll(async () => {
  h = await startHarness();
  store = await h.createStore();
  const product = await request(h.app)
    .post('/api/v2/products')
    .set('Authorization', `Bearer ${store.live}`)
    .send({ title: 'Keys', description: 'd', visibility: 'PUBLIC' });
  productId = product.body.data.id;
});
afterAll(() => h.close());

const call = (method: 'get' | 'post' | 'patch' | 'delete', path: string, body?: object, key = store.live) =>
  request(h.app)[method](`/api/v2/products/${productId}${path}`).set('Authorization', `Bearer ${key}`).send(body);

const base = {
  title: 'Default',
  description: 'Default product variant.',
  pricing: { humble: false, price: { price: 1999, currency: 'USD' } },
  payment_methods: ['BTC', 'STRIPE'],
};

describe('v2 product variants', () => {
  it('creates a TEXT + MANUAL variant in the documented shape, price back as a string', async () => {
    const res = await call('post', '/variants', {
      ...base,
      deliverable: { types: ['TEXT', 'MANUAL'], data: { serials: ['1', '2', '3'], comment: 'Thanks!' } },
      bulk_discount: [{ minimum_purchase_amount: 10, discount_percentage: 10 }],
      other_settings: { quantity_increments: 2 },
    });
    expect(res.status).toBe(201);
    const v = res.body.data;
    expect(Object.keys(v)).toEqual([
      'id',
      'product_id',
      'title',
      'description',
      'deliverable',
      'pricing',
      'minimum_purchase_quantity',
      'maximum_purchase_quantity',
      'bulk_discount',
      'payment_methods',
      'custom_payment_method_ids',
      'other_settings',
      'order',
      'created_at',
      'updated_at',
      'deleted_at',
      'product',
    ]);
    expect(v.custom_payment_method_ids).toEqual([]);
    expect(v.deliverable).toEqual({
      data: { removeDuplicate: false, parsingMode: 'COMMA', stock: 3, comment: 'Thanks!', serials: ['1', '2', '3'] },
      types: ['TEXT', 'MANUAL'],
    });
    expect(v.pricing).toEqual({
      humble: false,
      frequency: { value: 1, interval: 'MONTH' },
      type: 'SINGLE_PAYMENT',
      price: { price: '1999', currency: 'USD' },
    });
    expect(v.bulk_discount).toEqual([{ discount_percentage: 10, minimum_purchase_amount: 10 }]);
    expect(v.other_settings).toEqual({ quantity_increments: 2, discord_data_required: false });
  });

  it.each([
    ['COMMA', 'a, b,,c , a', undefined, false, ['a', 'b', 'c', 'a']],
    ['COMMA', 'a, b,,c , a', undefined, true, ['a', 'b', 'c']],
    ['NEW_LINE', 'a\r\nb\n\nc\na', undefined, true, ['a', 'b', 'c']],
    ['SPACE', 'a b\tc  a', undefined, false, ['a', 'b', 'c', 'a']],
    ['CUSTOM', 'a|b||c|a', '|', true, ['a', 'b', 'c']],
    ['CUSTOM', 'k1;;k2;;k1', ';;', false, ['k1', 'k2', 'k1']],
  ])('splits pasted serials by %s (%j, delimiter %s, dedupe %s)', async (parsingMode, serials, delimiter, removeDuplicate, expected) => {
    const res = await call('post', '/variants', {
      ...base,
      deliverable: { types: ['TEXT'], data: { serials, parsingMode, delimiter, removeDuplicate } },
    });
    expect(res.status).toBe(201);
    expect(res.body.data.deliverable.data.serials).toEqual(expected);
    expect(res.body.data.deliverable.data.stock).toBe(expected.length);
  });

  it('refuses CUSTOM without a delimiter, and each deliverable without what it needs', async () => {
    const cases: [object, string][] = [
      [{ types: ['TEXT'], data: { serials: 'a|b', parsingMode: 'CUSTOM' } }, 'deliverable.data.delimiter'],
      [{ types: ['DYNAMIC'], data: {} }, 'deliverable.data.webhook'],
      [{ types: ['MANUAL'], data: {} }, 'deliverable.data.comment'],
      [{ types: ['DOWNLOADABLE'], data: {} }, 'deliverable.data.files'],
      [{ types: ['BUNDLE'], data: {} }, 'deliverable.types'],
      [{ types: [], data: {} }, 'deliverable.types'],
    ];
    for (const [deliverable, param] of cases) {
      const res = await call('post', '/variants', { ...base, deliverable });
      expect({ status: res.status, param: res.body.error.param }).toEqual({ status: 422, param });
    }
  });

  it('requires https for dynamic webhooks unless the store allows http; test keys cannot change the catalogue', async () => {
    const insecure = { ...base, deliverable: { types: ['DYNAMIC'], data: { webhook: 'http://seller.example/deliver' } } };
    const live = await call('post', '/variants', insecure);
    expect(live.status).toBe(422);
    expect(live.body.error).toMatchObject({ code: 'insecure_url', param: 'deliverable.data.webhook' });
    const byTestKey = await call('post', '/variants', insecure, store.test);
    expect({ status: byTestKey.status, code: byTestKey.body.error.code }).toEqual({ status: 403, code: 'livemode_required' });
    const secure = await call('post', '/variants', {
      ...base,
      deliverable: { types: ['DYNAMIC'], data: { webhook: 'https://seller.example/deliver', stock: 5 } },
    });
    expect(secure.body.data.deliverable.data).toMatchObject({ webhook: 'https://seller.example/deliver', stock: 5 });
    expect((await call('post', '/variants', { ...base, deliverable: { types: ['DYNAMIC'], data: { webhook: 'not a url' } } })).status).toBe(
      422,
    );
    await h.db.updateTable('stores').set({ allow_http_webhooks: true }).where('id', '=', store.id).execute();
    expect((await call('post', '/variants', insecure)).status).toBe(201);
    await h.db.updateTable('stores').set({ allow_http_webhooks: false }).where('id', '=', store.id).execute();
  });

  it('carries license key settings and subscription pricing up to one year', async () => {
    const res = await call('post', '/variants', {
      ...base,
      pricing: { ...base.pricing, type: 'SUBSCRIPTION', frequency: { value: 3, interval: 'months' } },
      deliverable: {
        types: ['LICENSE_KEY', 'MANUAL'],
        data: { comment: 'Welcome', license_key: { prefix: 'PRO', limit: 3, expires_in_days: 30 } },
      },
    });
    expect(res.status).toBe(201);
    expect(res.body.data.pricing).toMatchObject({ type: 'SUBSCRIPTION', frequency: { value: 3, interval: 'MONTH' } });
    expect(res.body.data.deliverable.data.license_key).toEqual({ prefix: 'PRO', limit: 3, expires_in_days: 30 });
    const tooLong = await call('post', '/variants', {
      ...base,
      pricing: { ...base.pricing, type: 'SUBSCRIPTION', frequency: { value: 13, interval: 'MONTH' } },
      deliverable: { types: ['MANUAL'], data: { comment: 'x' } },
    });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.error.param).toBe('pricing.frequency.value');
  });

  it('replaces unsold stock on update, keeps sold serials, restocks, lists sold/unsold and records sold_out once', async () => {
    const created = await call('post', '/variants', {
      ...base,
      deliverable: { types: ['TEXT'], data: { serials: ['A', 'B'], removeDuplicate: true } },
    });
    const id = created.body.data.id;
    await h.db.transaction().execute((trx) => claimSerials(trx, { variantId: id, quantity: 1, claimKey: 'order-1/line-1' }));
    const updated = await call('patch', `/variants/${id}`, { deliverable: { types: ['TEXT'], data: { serials: 'A,C,D' } } });
    // A was sold: with duplicate removal on, it cannot come back as stock.
    expect(updated.body.data.deliverable.data.serials).toEqual(['C', 'D']);
    const restock = await call('post', `/variants/${id}/serials`, { serials: 'D\nE\nE', parsingMode: 'NEW_LINE' });
    expect(restock.status).toBe(201);
    expect(restock.body.data).toEqual({ added: 1, duplicates_removed: 2, stock: 3 });
    const sold = await call('get', `/variants/${id}/serials?status=SOLD`);
    expect(sold.body.data.map((s: { value: string }) => s.value)).toEqual(['A']);
    const unsold = await call('get', `/variants/${id}/serials?status=AVAILABLE`);
    expect(unsold.body.data.map((s: { value: string }) => s.value)).toEqual(['C', 'D', 'E']);

    await h.db.transaction().execute((trx) => claimSerials(trx, { variantId: id, quantity: 3, claimKey: 'order-2/line-1' }));
    await call('patch', `/variants/${id}`, { title: 'Sold out now' });
    const soldOut = await h.db
      .selectFrom('events')
      .select('data')
      .where('type', '=', 'variant.sold_out')
      .where('store_id', '=', store.id)
      .execute();
    expect(soldOut.filter((e) => e.data.id === id)).toHaveLength(1);
    expect((await call('get', `/variants/${id}`)).body.data.deliverable.data.stock).toBe(0);
  });

  it('claims each serial exactly once under concurrent orders, and a retried claim returns the same serials', async () => {
    const serials = Array.from({ length: 30 }, (_, i) => `S-${i}`);
    const created = await call('post', '/variants', { ...base, deliverable: { types: ['TEXT'], data: { serials } } });
    const id = created.body.data.id;
    const attempts = Array.from({ length: 40 }, (_, i) =>
      h.db
        .transaction()
        .execute((trx) => claimSerials(trx, { variantId: id, quantity: 1, claimKey: `concurrent-${i}/line-1` }))
        .catch((e: unknown) => e),
    );
    const results = await Promise.all(attempts);
    const won = results.filter((r): r is string[] => Array.isArray(r)).flat();
    expect(won).toHaveLength(30);
    expect(new Set(won)).toEqual(new Set(serials));
    expect(results.filter((r) => r instanceof OutOfStockError)).toHaveLength(10);
    const winner = results.findIndex((r) => Array.isArray(r));
    const retried = await h.db
      .transaction()
      .execute((trx) => claimSerials(trx, { variantId: id, quantity: 1, claimKey: `concurrent-${winner}/line-1` }));
    expect(retried).toEqual(results[winner]);
  });

  it('lists, searches and runs the batch routes on variants', async () => {
    const product = await request(h.app)
      .post('/api/v2/products')
      .set('Authorization', `Bearer ${store.live}`)
      .send({ title: 'Batchy', description: 'd', visibility: 'PUBLIC' });
    const pid = product.body.data.id;
    const at = (path: string) => `/api/v2/products/${pid}${path}`;
    const manual = (title: string, price: number) => ({
      ...base,
      title,
      pricing: { humble: false, price: { price, currency: 'USD' } },
      deliverable: { types: ['MANUAL'], data: { comment: title } },
    });
    const created = await request(h.app)
      .post(at('/variants/batch'))
      .set('Authorization', `Bearer ${store.live}`)
      .send({ resources: [manual('Small', 500), manual('Large', 1500), manual('Huge', 9000)] });
    expect(created.status).toBe(200);
    const [small, large, huge] = created.body.data;
    expect(created.body.data.map((v: { title: string }) => v.title)).toEqual(['Small', 'Large', 'Huge']);

    const list = await request(h.app).get(at('/variants?limit=2')).set('Authorization', `Bearer ${store.live}`);
    expect(list.body.data.map((v: { id: number }) => v.id)).toEqual([small.id, large.id]);
    expect(list.body.meta).toMatchObject({ total: 3, last_page: 2 });
    expect(list.body.data[0].deliverable.data.serials).toBeUndefined();

    const search = await request(h.app)
      .post(at('/variants/search'))
      .set('Authorization', `Bearer ${store.live}`)
      .send({
        filters: [
          { field: 'price', operator: '>=', value: 1000 },
          { field: 'title', operator: '=', value: 'Small', type: 'or' },
        ],
        sort: [{ field: 'price', direction: 'desc' }],
      });
    expect(search.body.data.map((v: { title: string }) => v.title)).toEqual(['Huge', 'Large', 'Small']);
    const narrow = await request(h.app)
      .post(at('/variants/search'))
      .set('Authorization', `Bearer ${store.live}`)
      .send({ filters: [{ field: 'price', operator: '<', value: 1000 }] });
    expect(narrow.body.data.map((v: { title: string }) => v.title)).toEqual(['Small']);

    const updated = await request(h.app)
      .patch(at('/variants/batch'))
      .set('Authorization', `Bearer ${store.live}`)
      .send({
        resources: { [small.id]: { title: 'Tiny' }, [huge.id]: { pricing: { humble: true, price: { price: 8000, currency: 'EUR' } } } },
      });
    expect(
      updated.body.data.map((v: { title: string; pricing: { humble: boolean; price: unknown } }) => [
        v.title,
        v.pricing.humble,
        v.pricing.price,
      ]),
    ).toEqual([
      ['Tiny', false, { price: '500', currency: 'USD' }],
      ['Huge', true, { price: '8000', currency: 'EUR' }],
    ]);
    const deleted = await request(h.app)
      .delete(at('/variants/batch'))
      .set('Authorization', `Bearer ${store.live}`)
      .send({ resources: [small.id, large.id] });
    expect(deleted.body.data.every((v: { deleted_at: string | null }) => v.deleted_at !== null)).toBe(true);
    const left = await request(h.app).get(at('/variants')).set('Authorization', `Bearer ${store.live}`);
    expect(left.body.data.map((v: { id: number }) => v.id)).toEqual([huge.id]);
  });

  it('deletes softly and keeps variants of other stores out of reach', async () => {
    const created = await call('post', '/variants', { ...base, deliverable: { types: ['MANUAL'], data: { comment: 'hi' } } });
    const other = await h.createStore();
    expect((await call('get', `/variants/${created.body.data.id}`, undefined, other.live)).status).toBe(404);
    expect((await call('delete', `/variants/${created.body.data.id}`)).body.data.deleted_at).not.toBeNull();
    expect((await call('get', `/variants/${created.body.data.id}`)).status).toBe(404);
  });
});
