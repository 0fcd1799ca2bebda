import request from 'supertest';
import { createVariant } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
let serialVariant: { productId: number; variantId: number };
let humbleVariant: { productId: number; variantId: number };
beforeAll(async () => {
  h = await startHarness();
  store = await h.createStore();
  serialVariant = await createVariant(
    h,
    store.live,
    {
      deliverable: { types: ['TEXT'], data: { serials: 'a,b,c,d,e,f' } },
      price: 999,
      payment_methods: ['STRIPE', 'BTC'],
      minimum_purchase_quantity: 1,
      maximum_purchase_quantity: 5,
      other_settings: { quantity_increments: 2 },
      bulk_discount: [{ minimum_purchase_amount: 3, discount_percentage: 15 }],
    },
    { additional_information: [{ type: 'text', required: true, label: 'Minecraft username', key: 'mc_user' }] },
  );
  humbleVariant = await createVariant(h, store.live, {
    deliverable: { types: ['MANUAL'], data: { comment: 'tip jar' } },
    price: 500,
    humble: true,
  });
});
afterAll(() => h.close());

const create = (body: object, key = store.live) => request(h.app).post('/api/v2/invoices').set('Authorization', `Bearer ${key}`).send(body);
const line = (variantId: number, quantity: number, info: object = { mc_user: 'steve' }) => ({
  [variantId]: { quantity, additional_information: info },
});

describe('POST /api/v2/invoices', () => {
  it('computes totals in cents with the bulk discount and keeps the SellApp model', async () => {
    const res = await create({
      customer_email: 'a@b.co',
      payment_method: 'BTC',
      product_variants: line(serialVariant.variantId, 3),
      country: 'BE',
      customer_ip: '1.3.3.7',
    });
    expect(res.status).toBe(201);
    const invoice = res.body.data;
    // 3 × 9.99 = 29.97, 15 % off = 4.4955 → 4.50, total 25.47.
    expect(invoice.payment.original_amount).toEqual({
      base: '2547',
      currency: 'USD',
      units: 3,
      vat: 0,
      total: { exclusive: '2547', inclusive: '2547' },
    });
    expect(invoice.payment.gateway).toMatchObject({ type: 'BTC', data: { customer_email: 'a@b.co' } });
    expect(invoice.status).toEqual({
      history: [],
      status: { setAt: expect.any(String), status: 'PENDING', updatedAt: expect.any(String) },
    });
    expect(invoice.customer_information).toMatchObject({ email: 'a@b.co', country: 'BE', ip: '1.3.3.7' });
    expect(invoice.product_variants).toEqual([
      { id: serialVariant.variantId, product_id: serialVariant.productId, title: 'Goods — Default', quantity: 3 },
    ]);
    expect(Date.parse(invoice.payment.expires_at) - Date.now()).toBeGreaterThan(23 * 3600_000);
  });

  it.each([
    ['a quantity below the step', line(0, 2), 'not_an_increment'],
    ['a quantity over the maximum', line(0, 7), 'above_maximum'],
  ])('refuses %s', async (_label, lines, code) => {
    const variantLines = Object.fromEntries(Object.values(lines).map((v) => [serialVariant.variantId, v]));
    const res = await create({ customer_email: 'a@b.co', payment_method: 'BTC', product_variants: variantLines });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.param).toBe(`product_variants.${serialVariant.variantId}.quantity`);
  });

  it('refuses what the catalogue does not allow, each with its param', async () => {
    const cases: [object, number, string, string][] = [
      [
        { payment_method: 'PAYPAL', product_variants: line(serialVariant.variantId, 1) },
        422,
        'payment_method_not_accepted',
        'payment_method',
      ],
      [
        { payment_method: 'BTC', product_variants: line(serialVariant.variantId, 1, {}) },
        422,
        'missing_field',
        `product_variants.${serialVariant.variantId}.additional_information.mc_user`,
      ],
      [{ payment_method: 'BTC', product_variants: line(999_999, 1) }, 422, 'variant_not_found', 'product_variants.999999'],
      [{ payment_method: 'BTC', product_variants: line(serialVariant.variantId, 1), coupon: 'NOPE' }, 422, 'coupon_not_found', 'coupon'],
      [
        { payment_method: 'BTC', product_variants: line(serialVariant.variantId, 1), extra: { amount: 100, currency: 'USD' } },
        422,
        'extra_not_allowed',
        'extra',
      ],
      [{ payment_method: 'BTC', product_variants: {} }, 422, 'missing_field', 'product_variants'],
      [{ payment_method: 'CHEQUE', product_variants: line(serialVariant.variantId, 1) }, 422, 'invalid_field', 'payment_method'],
      [
        { payment_method: 'BTC', customer_email: 'not-an-email', product_variants: line(serialVariant.variantId, 1) },
        422,
        'invalid_field',
        'customer_email',
      ],
    ];
    for (const [body, status, code, param] of cases) {
      const res = await create({ customer_email: 'a@b.co', ...body });
      expect({ status: res.status, code: res.body.error?.code, param: res.body.error?.param }).toEqual({ status, code, param });
    }
    const scarce = await createVariant(h, store.live, { deliverable: { types: ['TEXT'], data: { serials: 'x,y' } } });
    const soldOut = await create({
      customer_email: 'a@b.co',
      payment_method: 'BTC',
      product_variants: { [scarce.variantId]: { quantity: 3 } },
    });
    expect(soldOut.body.error).toMatchObject({ code: 'out_of_stock', param: `product_variants.${scarce.variantId}.quantity` });
    expect(soldOut.body.error.message).toContain('Only 2');
  });

  it('adds a pay-what-you-want extra on top', async () => {
    const res = await create({
      customer_email: 'a@b.co',
      payment_method: 'STRIPE',
      product_variants: { [humbleVariant.variantId]: { quantity: 1 } },
      extra: { amount: 250, currency: 'usd' },
    });
    expect(res.status).toBe(201);
    expect(res.body.data.payment.full_price.base).toBe('750');
    expect(res.body.data.payment.original_amount.base).toBe('500');
  });

  it('makes test-mode invoices with a test key, listed apart from live ones', async () => {
    const res = await create(
      { customer_email: 'test@b.co', payment_method: 'STRIPE', product_variants: { [humbleVariant.variantId]: { quantity: 1 } } },
      store.test,
    );
    expect(res.body.data.livemode).toBe(false);
    const liveList = await request(h.app).get('/api/v2/invoices?limit=100').set('Authorization', `Bearer ${store.live}`);
    expect(liveList.body.data.map((i: { id: number }) => i.id)).not.toContain(res.body.data.id);
    const testList = await request(h.app).get('/api/v2/invoices').set('Authorization', `Bearer ${store.test}`);
    expect(testList.body.data.map((i: { id: number }) => i.id)).toEqual([res.body.data.id]);
  });
});

describe('listing and searching invoices', () => {
  it('filters by status, payment method, email, product name and id, and sorts', async () => {
    const own = await h.createStore();
    const v = await createVariant(
      h,
      own.live,
      { deliverable: { types: ['MANUAL'], data: { comment: 'x' } }, payment_methods: ['STRIPE', 'BTC'] },
      { title: 'Unique Widget' },
    );
    const mk = (email: string, method: string) =>
      request(h.app)
        .post('/api/v2/invoices')
        .set('Authorization', `Bearer ${own.live}`)
        .send({ customer_email: email, payment_method: method, product_variants: { [v.variantId]: { quantity: 1 } } });
    const a = (await mk('alice@x.io', 'STRIPE')).body.data;
    const b = (await mk('bob@x.io', 'BTC')).body.data;
    await request(h.app).patch(`/api/v2/invoices/${b.id}/mark-voided`).set('Authorization', `Bearer ${own.live}`).expect(200);
    const get = (q: string) =>
      request(h.app)
        .get(`/api/v2/invoices${q}`)
        .set('Authorization', `Bearer ${own.live}`)
        .then((r) => r.body.data.map((i: { id: number }) => i.id));
    expect(await get('')).toEqual([b.id, a.id]);
    expect(await get('?sort=created_at')).toEqual([a.id, b.id]);
    expect(await get('?status[]=VOIDED')).toEqual([b.id]);
    expect(await get('?status=PENDING')).toEqual([a.id]);
    expect(await get('?payment_methods[]=STRIPE&payment_methods[]=BTC')).toEqual([b.id, a.id]);
    expect(await get('?email=alice')).toEqual([a.id]);
    const search = (body: object) =>
      request(h.app)
        .post('/api/v2/invoices/search')
        .set('Authorization', `Bearer ${own.live}`)
        .send(body)
        .then((r) => r.body.data.map((i: { id: number }) => i.id));
    expect(await search({ id: String(a.id) })).toEqual([a.id]);
    expect(await search({ search: 'unique widget', search_by: 'product_name' })).toEqual([b.id, a.id]);
    expect(await search({ search: 'bob' })).toEqual([b.id]);
    expect(await search({ status: ['PAID'] })).toEqual([]);
    const bad = await request(h.app)
      .post('/api/v2/invoices/search')
      .set('Authorization', `Bearer ${own.live}`)
      .send({ status: ['SHIPPED'] });
    expect(bad.status).toBe(422);
  });

  it('never shows another store’s invoices, and needs the invoices scopes', async () => {
    const v = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'x' } } });
    const mine = (
      await create({ customer_email: 'a@b.co', payment_method: 'STRIPE', product_variants: { [v.variantId]: { quantity: 1 } } })
    ).body.data;
    const other = await h.createStore();
    for (const [method, path] of [
      ['get', `/api/v2/invoices/${mine.id}`],
      ['get', `/api/v2/invoices/${mine.id}/deliverables`],
      ['patch', `/api/v2/invoices/${mine.id}/mark-completed`],
      ['patch', `/api/v2/invoices/${mine.id}/mark-voided`],
      ['post', `/api/v2/invoices/${mine.id}/checkout`],
    ] as const) {
      expect((await request(h.app)[method](path).set('Authorization', `Bearer ${other.live}`)).status).toBe(404);
    }
    const strangerOrder = await request(h.app)
      .post('/api/v2/invoices')
      .set('Authorization', `Bearer ${other.live}`)
      .send({ customer_email: 'a@b.co', payment_method: 'STRIPE', product_variants: { [v.variantId]: { quantity: 1 } } });
    expect(strangerOrder.body.error.code).toBe('variant_not_found');
  });
});
