import { createVariant } from '../helpers/catalog-fixtures';
import { apiTestbed } from '../helpers/api-testbed';

/** The spec's PUT forms of products, variants, variant pricing and a group's products. */
const t = apiTestbed();
const { call } = t;

const manual = (title = 'Item') =>
  createVariant(
    t.h,
    t.store.live,
    { deliverable: { types: ['MANUAL'], data: { comment: 'thanks' } }, payment_methods: ['PAYPAL'] },
    { title },
  );

describe('PUT /v2/products/{product}', () => {
  it('writes the fields sent and keeps the others, as the spec’s all-optional ReplaceProduct says', async () => {
    const { productId } = await manual('Before');
    const res = await call('put', `/products/${productId}`, { title: 'After' });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id: productId, title: 'After', visibility: 'PUBLIC' });
  });

  it('refuses a stale expected_updated_at with 422 and changes nothing; the current one passes', async () => {
    const { productId } = await manual('Snapshot');
    const read = await call('get', `/products/${productId}`);
    const snapshot = read.body.data.updated_at as string;
    await call('patch', `/products/${productId}`, { description: 'changed by someone else' });
    const stale = await call('put', `/products/${productId}`, { title: 'Mine', expected_updated_at: snapshot });
    expect(stale.status).toBe(422);
    expect(stale.body).toMatchObject({ code: 'stale_snapshot', param: 'expected_updated_at' });
    expect((await call('get', `/products/${productId}`)).body.data.title).toBe('Snapshot');
    const fresh = (await call('get', `/products/${productId}`)).body.data.updated_at as string;
    const ok = await call('put', `/products/${productId}`, { title: 'Mine', expected_updated_at: fresh });
    expect(ok.status).toBe(200);
    expect(ok.body.data.title).toBe('Mine');
  });

  it('is a 422 on bad input and a 404 for another store’s product', async () => {
    const { productId } = await manual();
    expect((await call('put', `/products/${productId}`, { visibility: 'NOWHERE' })).status).toBe(422);
    expect((await call('put', `/products/${productId}`, { expected_updated_at: 'yesterday' })).status).toBe(422);
    expect((await call('put', `/products/${productId}`, { title: 'Theirs' }, t.other.live)).status).toBe(404);
  });
});

describe('PUT /v2/products/{product}/variants/{variant}', () => {
  it('updates like PATCH and honours expected_updated_at', async () => {
    const { productId, variantId } = await manual();
    const path = `/products/${productId}/variants/${variantId}`;
    const snapshot = (await call('get', path)).body.data.updated_at as string;
    const res = await call('put', path, { title: 'Renamed', expected_updated_at: snapshot });
    expect(res.status).toBe(200);
    expect(res.body.data.title).toBe('Renamed');
    const stale = await call('put', path, { title: 'Again', expected_updated_at: snapshot });
    expect(stale.status).toBe(422);
    expect((await call('get', path)).body.data.title).toBe('Renamed');
    expect((await call('put', path, { title: 'x' }, t.other.live)).status).toBe(404);
  });
});

describe('PUT and PATCH /v2/products/{product}/variants/{variant}/pricing', () => {
  it('PUT replaces the whole pricing: bulk discounts not sent are cleared', async () => {
    const { productId, variantId } = await manual();
    const path = `/products/${productId}/variants/${variantId}`;
    await call('patch', path, { bulk_discount: [{ minimum_purchase_amount: 5, discount_percentage: 10 }] });
    const res = await call('put', `${path}/pricing`, {
      pricing: { type: 'SINGLE_PAYMENT', price: { price: 1500, currency: 'EUR' }, humble: true },
      payment_methods: ['STRIPE'],
    });
    expect(res.status).toBe(200);
    expect(res.body.data.pricing).toMatchObject({ humble: true, type: 'SINGLE_PAYMENT', price: { price: '1500', currency: 'EUR' } });
    expect(res.body.data.payment_methods).toEqual(['STRIPE']);
    expect(res.body.data.bulk_discount).toEqual([]);
  });

  it('PATCH keeps what it is not sent', async () => {
    const { productId, variantId } = await manual();
    const path = `/products/${productId}/variants/${variantId}`;
    await call('patch', path, { bulk_discount: [{ minimum_purchase_amount: 5, discount_percentage: 10 }] });
    const res = await call('patch', `${path}/pricing`, { pricing: { price: { price: 250, currency: 'USD' } } });
    expect(res.status).toBe(200);
    expect(res.body.data.pricing.price).toMatchObject({ price: '250', currency: 'USD' });
    expect(res.body.data.payment_methods).toEqual(['PAYPAL']);
    expect(res.body.data.bulk_discount).toEqual([{ minimum_purchase_amount: 5, discount_percentage: 10 }]);
  });

  it('is a 422 on bad input (a subscription without frequency, a negative price, a stale snapshot) and 404 across stores', async () => {
    const { productId, variantId } = await manual();
    const path = `/products/${productId}/variants/${variantId}/pricing`;
    const whole = { pricing: { type: 'SUBSCRIPTION', price: { price: 100, currency: 'USD' }, humble: false }, payment_methods: ['STRIPE'] };
    expect((await call('put', path, whole)).status).toBe(422);
    expect((await call('patch', path, { pricing: { price: { price: -1, currency: 'USD' } } })).status).toBe(422);
    expect((await call('put', path, { payment_methods: ['STRIPE'] })).status).toBe(422);
    expect((await call('patch', path, { expected_updated_at: '2000-01-01T00:00:00.000000Z' })).status).toBe(422);
    expect((await call('patch', path, { pricing: { humble: true } }, t.other.live)).status).toBe(404);
  });
});

describe('PUT /v2/groups/{group}/products', () => {
  it('leaves the group holding exactly the products sent, in that order', async () => {
    const a = (await manual('A')).productId;
    const b = (await manual('B')).productId;
    const c = (await manual('C')).productId;
    const group = (await call('post', '/groups', { title: 'Set', unlisted: false })).body.data.id as number;
    await call('post', `/groups/${group}/products/attach`, { resources: [a, b] });
    const res = await call('put', `/groups/${group}/products`, { product_ids: [c, a] });
    expect(res.status).toBe(200);
    expect(res.body.data.products.map((p: { id: string }) => p.id)).toEqual([String(c), String(a)]);
    const listed = await call('get', `/groups/${group}/products`);
    expect(listed.body.data.map((p: { id: number }) => p.id)).toEqual([c, a]);
    const emptied = await call('put', `/groups/${group}/products`, { product_ids: [] });
    expect(emptied.body.data.products_linked).toBe(0);
  });

  it('rejects another store’s product (422, nothing changes), repeats, and another store’s group (404)', async () => {
    const mine = (await manual('Mine')).productId;
    const theirs = (
      await createVariant(t.h, t.other.live, { deliverable: { types: ['MANUAL'], data: { comment: 'x' } } }, { title: 'Theirs' })
    ).productId;
    const group = (await call('post', '/groups', { title: 'Guarded', unlisted: false })).body.data.id as number;
    await call('put', `/groups/${group}/products`, { product_ids: [mine] });
    const foreign = await call('put', `/groups/${group}/products`, { product_ids: [theirs] });
    expect(foreign.status).toBe(422);
    expect((await call('get', `/groups/${group}/products`)).body.data.map((p: { id: number }) => p.id)).toEqual([mine]);
    expect((await call('put', `/groups/${group}/products`, { product_ids: [mine, mine] })).status).toBe(422);
    expect((await call('put', `/groups/${group}/products`, { product_ids: 'all' })).status).toBe(422);
    expect((await call('put', `/groups/${group}/products`, { product_ids: [theirs] }, t.other.live)).status).toBe(404);
  });
});
