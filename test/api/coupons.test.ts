import request from 'supertest';
import { createVariant } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/** SellApp coupons over HTTP, and what they do at checkout (Postgres, for real concurrency). */
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
beforeAll(async () => {
  h = await startHarness({ database: 'postgres' });
  store = await h.createStore();
});
afterAll(() => h.close());

const v1 = (method: 'get' | 'post' | 'patch' | 'delete', path: string, body?: object, key = store.live) =>
  request(h.app)[method](`/api/v1${path}`).set('Authorization', `Bearer ${key}`).send(body);
const v2 = (method: 'get' | 'post' | 'patch', path: string, body?: object) =>
  request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);
const buy = (variantId: number, coupon?: string, quantity = 1) =>
  v2('post', '/invoices', {
    customer_email: 'c@e.co',
    payment_method: 'PAYPAL',
    product_variants: { [variantId]: { quantity } },
    ...(coupon ? { coupon } : {}),
  });

describe('coupons API', () => {
  it('creates, retrieves, updates, lists, searches and soft-deletes', async () => {
    const created = await v1('post', '/coupons', { code: 'BONANZA', type: 'PERCENTAGE', discount: 80, store_wide: true }).expect(201);
    expect(created.body.data).toMatchObject({
      code: 'BONANZA',
      type: 'PERCENTAGE',
      discount: '80',
      store_wide: true,
      products: [],
      limit: null,
      uses: 0,
      store_id: store.id,
      deleted_at: null,
    });
    const id = created.body.data.id;
    expect((await v1('get', `/coupons/${id}`).expect(200)).body.data.code).toBe('BONANZA');
    const updated = await v1('patch', `/coupons/${id}`, { type: 'AMOUNT', discount: 5.5, minimum_amount: 20, limit: 10 }).expect(200);
    expect(updated.body.data).toMatchObject({ type: 'AMOUNT', discount: '5.5', minimum_amount: '20', limit: 10 });
    const found = await v1('post', '/coupons/search', { search: { value: 'bonan' } }).expect(200);
    expect(found.body.data.map((c: { id: number }) => c.id)).toContain(id);
    expect(found.body.meta.total).toBeGreaterThanOrEqual(1);
    await v1('delete', `/coupons/${id}`).expect(200);
    expect((await v1('get', '/coupons').expect(200)).body.data.map((c: { id: number }) => c.id)).not.toContain(id);
    expect((await v1('get', '/coupons?only_trashed=true').expect(200)).body.data.map((c: { id: number }) => c.id)).toContain(id);
    // The code is free again once its coupon is deleted.
    await v1('post', '/coupons', { code: 'bonanza', type: 'PERCENTAGE', discount: 10, store_wide: true }).expect(201);
  });

  it('refuses bad coupons with 422 and the field named', async () => {
    const cases: [object, string][] = [
      [{ code: 'P150', type: 'PERCENTAGE', discount: 150, store_wide: true }, 'discount'],
      [{ code: 'NOPROD', type: 'AMOUNT', discount: 5, store_wide: false }, 'products'],
      [{ code: 'FOREIGN', type: 'AMOUNT', discount: 5, store_wide: false, products: [999999] }, 'products'],
      [{ code: 'has space', type: 'AMOUNT', discount: 5, store_wide: true }, 'code'],
      [{ code: 'NOTYPE', discount: 5, store_wide: true }, 'type'],
      [{ code: 'BADDATE', type: 'AMOUNT', discount: 5, store_wide: true, expires_at: 'tomorrow' }, 'expires_at'],
    ];
    for (const [body, param] of cases) {
      const res = await v1('post', '/coupons', body);
      expect(res.status).toBe(422);
      expect(res.body.errors?.[param] ?? res.body.error.param).toBeTruthy();
      expect(res.body.error.param).toBe(param);
    }
    await v1('post', '/coupons', { code: 'TWICE', type: 'AMOUNT', discount: 1, store_wide: true }).expect(201);
    const dup = await v1('post', '/coupons', { code: 'twice', type: 'AMOUNT', discount: 1, store_wide: true });
    expect(dup.status).toBe(422);
    expect(dup.body.error.code).toBe('code_taken');
  });

  it('batch-creates all or none, batch-updates by id, batch-deletes', async () => {
    const failed = await v1('post', '/coupons/batch', {
      resources: [
        { code: 'B-OK', type: 'AMOUNT', discount: 1, store_wide: true },
        { code: 'B-BAD', type: 'PERCENTAGE', discount: 101, store_wide: true },
      ],
    });
    expect(failed.status).toBe(422);
    expect(failed.body.error.param).toBe('resources.1.discount');
    expect((await v1('post', '/coupons/search', { filters: [{ field: 'code', operator: '=', value: 'B-OK' }] })).body.data).toHaveLength(0);
    const made = (
      await v1('post', '/coupons/batch', {
        resources: [
          { code: 'B-1', type: 'AMOUNT', discount: 1, store_wide: true },
          { code: 'B-2', type: 'AMOUNT', discount: 2, store_wide: true },
        ],
      }).expect(200)
    ).body.data;
    expect(made.map((c: { code: string }) => c.code)).toEqual(['B-1', 'B-2']);
    const patched = (
      await v1('patch', '/coupons/batch', { resources: { [made[0].id]: { discount: 3 }, [made[1].id]: { limit: 5 } } }).expect(200)
    ).body.data;
    expect(patched.map((c: { discount: string; limit: number | null }) => [c.discount, c.limit])).toEqual([
      ['3', null],
      ['2', 5],
    ]);
    const deleted = (await v1('delete', '/coupons/batch', { resources: [made[0].id, made[1].id] }).expect(200)).body.data;
    expect(deleted.every((c: { deleted_at: string | null }) => c.deleted_at !== null)).toBe(true);
  });

  it('keeps stores apart', async () => {
    const other = await h.createStore();
    const mine = (await v1('post', '/coupons', { code: 'MINE', type: 'AMOUNT', discount: 1, store_wide: true }).expect(201)).body.data;
    expect((await v1('get', `/coupons/${mine.id}`, undefined, other.live)).status).toBe(404);
    expect((await v1('patch', `/coupons/${mine.id}`, { discount: 2 }, other.live)).status).toBe(404);
    const { variantId } = await createVariant(h, other.live, { deliverable: { types: ['MANUAL'], data: { comment: 'x' } } });
    const res = await request(h.app)
      .post('/api/v2/invoices')
      .set('Authorization', `Bearer ${other.live}`)
      .send({ customer_email: 'c@e.co', payment_method: 'PAYPAL', product_variants: { [variantId]: { quantity: 1 } }, coupon: 'MINE' });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('coupon_not_found');
  });
});

describe('coupons at checkout', () => {
  it('takes percentages and amounts off the covered products, before the payment method, and refuses what does not apply', async () => {
    const a = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'a' } }, price: 2000 });
    const b = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'b' } }, price: 1000 });
    await v1('post', '/coupons', { code: 'TENOFF', type: 'PERCENTAGE', discount: 10, store_wide: true }).expect(201);
    await v1('post', '/coupons', { code: 'ONLY-B', type: 'AMOUNT', discount: 3, store_wide: false, products: [b.productId] }).expect(201);
    await v1('post', '/coupons', { code: 'OLD', type: 'AMOUNT', discount: 3, store_wide: true, expires_at: '2020-01-01T00:00:00Z' }).expect(
      201,
    );
    await v1('post', '/coupons', { code: 'BIGSPEND', type: 'AMOUNT', discount: 3, store_wide: true, minimum_amount: 50 }).expect(201);

    const ten = (await buy(a.variantId, 'tenoff', 2).expect(201)).body.data;
    expect(ten.payment.full_price.total.exclusive).toBe('3600');
    expect(ten.payment.coupon).toMatchObject({ code: 'TENOFF' });
    expect(ten.payment.coupon.discount.total.exclusive).toBe('400');
    expect(ten.payment.original_amount.total.exclusive).toBe('4000');
    expect(ten.coupon_id).toEqual(expect.any(Number));
    const onlyB = (await buy(b.variantId, 'ONLY-B').expect(201)).body.data;
    expect(onlyB.payment.full_price.total.exclusive).toBe('700');
    for (const [variantId, code, problem] of [
      [a.variantId, 'ONLY-B', 'coupon_not_applicable'],
      [a.variantId, 'OLD', 'coupon_expired'],
      [a.variantId, 'BIGSPEND', 'coupon_minimum_not_met'],
      [a.variantId, 'NOPE', 'coupon_not_found'],
    ] as const) {
      const res = await buy(variantId, code);
      expect(res.status).toBe(422);
      expect(res.body.error).toMatchObject({ code: problem, param: 'coupon' });
    }
  });

  it('counts a use once per paid order; an abandoned invoice gives its use back', async () => {
    const { variantId } = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'x' } } });
    const coupon = (await v1('post', '/coupons', { code: 'ONCE', type: 'AMOUNT', discount: 1, store_wide: true, limit: 1 }).expect(201))
      .body.data;
    const first = (await buy(variantId, 'ONCE').expect(201)).body.data;
    expect((await buy(variantId, 'ONCE')).body.error.code).toBe('coupon_limit_reached');
    await v2('patch', `/invoices/${first.id}/mark-voided`).expect(200);
    const second = (await buy(variantId, 'ONCE').expect(201)).body.data;
    await v2('patch', `/invoices/${second.id}/mark-completed`).expect(200);
    await v2('patch', `/invoices/${second.id}/mark-completed`);
    expect((await v1('get', `/coupons/${coupon.id}`)).body.data.uses).toBe(1);
    const redemptions = await h.db.selectFrom('coupon_redemptions').selectAll().where('coupon_id', '=', coupon.id).execute();
    expect(redemptions).toHaveLength(1);
    expect(redemptions[0]).toMatchObject({ invoice_id: second.id, discount_cents: 100 });
  });

  it('never lets concurrent checkouts take more uses than the limit', async () => {
    const { variantId } = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'x' } } });
    const coupon = (
      await v1('post', '/coupons', { code: 'RUSH', type: 'PERCENTAGE', discount: 50, store_wide: true, limit: 3 }).expect(201)
    ).body.data;
    const results = await Promise.all(Array.from({ length: 12 }, () => buy(variantId, 'RUSH')));
    const won = results.filter((r) => r.status === 201);
    expect(won).toHaveLength(3);
    expect(results.filter((r) => r.status === 422).every((r) => r.body.error.code === 'coupon_limit_reached')).toBe(true);
    await Promise.all(won.map((r) => v2('patch', `/invoices/${r.body.data.id}/mark-completed`).expect(200)));
    expect((await v1('get', `/coupons/${coupon.id}`)).body.data.uses).toBe(3);
  });
});
