import request from 'supertest';
import { transitionInvoice } from '../../src/orders/invoice-transitions';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/** Customers are first-class (issue 20): invoices link to them, sellers manage them, entitlements follow the live rows. */
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
let licenseVariantId: number;

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
const api = (method: Method, path: string, body?: object, key?: string) => {
  const agent = request(h.app);
  const call = agent[method](`/api/v2${path}`).set('Authorization', `Bearer ${key ?? store.live}`);
  return body === undefined ? call : call.send(body);
};

async function completedLicenseOrder(email: string): Promise<number> {
  const invoice = await api('post', '/invoices', {
    customer_email: email,
    payment_method: 'PAYPAL',
    product_variants: { [licenseVariantId]: { quantity: 1 } },
  }).expect(201);
  const id = invoice.body.data.id as number;
  await api('patch', `/invoices/${id}/mark-completed`).expect(200);
  await waitFor(
    () => api('get', `/invoices/${id}`).then((r) => r.body.data.status.status.status as string),
    (status) => status === 'COMPLETED',
  );
  return id;
}

beforeAll(async () => {
  h = await startHarness({ worker: true });
  store = await h.createStore();
  licenseVariantId = (
    await createVariant(h, store.live, {
      deliverable: { types: ['LICENSE_KEY'], data: { license_key: { prefix: 'CUS', limit: 2, expires_in_days: null } } },
      payment_methods: ['PAYPAL'],
    })
  ).variantId;
}, 120_000);
afterAll(async () => {
  await h?.close();
});

describe('customers', () => {
  it('an invoice links its customer by e-mail (any case), one per store and world', async () => {
    const variantId = (
      await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'thanks' } }, payment_methods: ['PAYPAL'] })
    ).variantId;
    const order = (email: string, key?: string) =>
      api('post', '/invoices', { customer_email: email, payment_method: 'PAYPAL', product_variants: { [variantId]: { quantity: 1 } } }, key)
        .expect(201)
        .then((r) => r.body.data.id as number);
    const first = await order('Linked@E.co');
    const second = await order('linked@e.co');
    const inTest = await order('linked@e.co', store.test);
    const rows = await h.db.selectFrom('invoices').select(['id', 'customer_id']).where('id', 'in', [first, second, inTest]).execute();
    const customerOf = new Map(rows.map((r) => [r.id, r.customer_id]));
    expect(customerOf.get(first)).not.toBeNull();
    expect(customerOf.get(second)).toBe(customerOf.get(first));
    expect(customerOf.get(inTest)).not.toBe(customerOf.get(first));

    const live = await api('post', '/customers/search', { filters: [{ field: 'email', value: 'linked@e.co' }] }).expect(200);
    expect(live.body.data).toHaveLength(1);
    expect(live.body.data[0]).toMatchObject({ id: customerOf.get(first), email: 'linked@e.co' });
    expect(live.body.data[0].insights).toMatchObject({ orders_count: 2, line_items_count: 2, pending_line_items_count: 2 });
    // The test world's customer of the same e-mail is its own, and a live key never sees it.
    const test = await api('post', '/customers/search', { filters: [{ field: 'email', value: 'linked@e.co' }] }, store.test);
    expect(test.body.data.map((c: { id: number }) => c.id)).toEqual([customerOf.get(inTest)]);
    await api('get', `/customers/${customerOf.get(inTest)}`).expect(404);
  });

  it('creates, updates and upserts with unique e-mail and external_id', async () => {
    const made = await api('post', '/customers', { email: 'Maya@E.co', external_id: 'crm_1', name: 'Maya', metadata: { seats: 3 } }).expect(
      201,
    );
    expect(made.body.data).toMatchObject({ email: 'maya@e.co', external_id: 'crm_1', name: 'Maya', metadata: { seats: 3 } });
    const id = made.body.data.id as number;
    expect((await api('post', '/customers', { email: 'MAYA@e.co' })).status).toBe(409);
    expect((await api('post', '/customers', { email: 'other@e.co', external_id: 'crm_1' })).status).toBe(409);
    // external_id is set once: changing it is a 409; an e-mail of another customer a 422.
    expect((await api('patch', `/customers/${id}`, { external_id: 'crm_2' })).status).toBe(409);
    await api('post', '/customers', { email: 'taken@e.co' }).expect(201);
    expect((await api('patch', `/customers/${id}`, { email: 'taken@e.co' })).status).toBe(422);
    expect((await api('patch', `/customers/${id}`, { locale: 'not a locale!' })).status).toBe(422);
    const patched = await api('patch', '/customers/external/crm_1', { locale: 'en-GB', metadata: { plan: 'pro' } }).expect(200);
    expect(patched.body.data).toMatchObject({ id, locale: 'en-GB', metadata: { plan: 'pro' } });

    // PUT by external id: 201 when made, 200 when it updates the same customer.
    const createdByPut = await api('put', '/customers/external/crm_new', { email: 'new@e.co', name: 'New' }).expect(201);
    const updatedByPut = await api('put', '/customers/external/crm_new', { email: 'new2@e.co' }).expect(200);
    expect(updatedByPut.body.data).toMatchObject({ id: createdByPut.body.data.id, email: 'new2@e.co', name: 'New' });
    expect((await api('put', '/customers/external/crm_other', { email: 'taken@e.co' })).status).toBe(422);
    await api('get', '/customers/external/nobody').expect(404);
    expect((await api('get', '/customers/external/%20%20')).status).toBe(422);

    // A new order of the customer's e-mail joins them.
    const variantId = (
      await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'thanks' } }, payment_methods: ['PAYPAL'] })
    ).variantId;
    const invoice = await api('post', '/invoices', {
      customer_email: 'NEW2@e.co',
      payment_method: 'PAYPAL',
      product_variants: { [variantId]: { quantity: 1 } },
    }).expect(201);
    const row = await h.db.selectFrom('invoices').select('customer_id').where('id', '=', invoice.body.data.id).executeTakeFirstOrThrow();
    expect(row.customer_id).toBe(createdByPut.body.data.id);
  });
});

describe('an invoice names its customer', () => {
  it('by external_customer_id or customer_id within the store and world; an unknown one is a 422', async () => {
    const variantId = (
      await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'thanks' } }, payment_methods: ['PAYPAL'] })
    ).variantId;
    const order = (extra: object, key?: string) =>
      api(
        'post',
        '/invoices',
        { customer_email: 'gift-to@e.co', payment_method: 'PAYPAL', product_variants: { [variantId]: { quantity: 1 } }, ...extra },
        key,
      );
    const customerOf = (invoiceId: number) =>
      h.db
        .selectFrom('invoices')
        .select('customer_id')
        .where('id', '=', invoiceId)
        .executeTakeFirstOrThrow()
        .then((r) => r.customer_id);
    const crm = (await api('post', '/customers', { email: 'buyer@e.co', external_id: 'crm_buyer' }).expect(201)).body.data;

    // Linked to the seller's customer, not to a new customer of the delivery e-mail.
    const byExternal = await order({ external_customer_id: 'crm_buyer' }).expect(201);
    expect(await customerOf(byExternal.body.data.id)).toBe(crm.id);
    const viaOrders = await api('post', '/orders', {
      customer_email: 'gift-to@e.co',
      payment_method: 'PAYPAL',
      product_variants: { [variantId]: { quantity: 1 } },
      customer_id: crm.id,
    }).expect(201);
    expect(await customerOf(viaOrders.body.data.id)).toBe(crm.id);
    expect((await api('post', '/customers/search', { filters: [{ field: 'email', value: 'gift-to@e.co' }] })).body.data).toEqual([]);
    expect((await api('get', `/customers/${crm.id}`).expect(200)).body.data.insights).toMatchObject({ orders_count: 2 });

    const unknown = await order({ external_customer_id: 'crm_nobody' }).expect(422);
    expect(unknown.body).toMatchObject({ code: 'customer_not_found', param: 'external_customer_id', status: 422 });
    expect((await order({ customer_id: 987654321 }).expect(422)).body).toMatchObject({ code: 'customer_not_found', param: 'customer_id' });
    // The test world's key cannot name a live customer.
    expect((await order({ external_customer_id: 'crm_buyer' }, store.test).expect(422)).body.code).toBe('customer_not_found');
    expect((await order({ customer_id: crm.id, external_customer_id: 'crm_buyer' })).status).toBe(422);
    expect((await order({ external_customer_id: '   ' })).status).toBe(422);
    // Refused invoices made no customer and no invoice.
    const made = await h.db.selectFrom('invoices').select('id').where('customer_email', '=', 'gift-to@e.co').execute();
    expect(made.map((r) => r.id).sort()).toEqual([byExternal.body.data.id, viaOrders.body.data.id].sort());
  });
});

describe('entitlements', () => {
  it('follow the live rows: a revoked key and a refunded order are gone from the same view', async () => {
    const invoiceId = await completedLicenseOrder('holder@e.co');
    const customer = (await api('post', '/customers/search', { filters: [{ field: 'email', value: 'holder@e.co' }] })).body.data[0];
    await api('patch', `/customers/${customer.id}`, { external_id: 'crm_holder' }).expect(200);
    const key = await h.db
      .selectFrom('license_keys')
      .select(['id', 'product_id'])
      .where('invoice_id', '=', invoiceId)
      .executeTakeFirstOrThrow();
    const held = () =>
      api('get', `/customers/${customer.id}/entitlements`)
        .expect(200)
        .then((r) => r.body.data);

    expect(await held()).toEqual([
      {
        id: `license_key_${key.id}`,
        kind: 'license',
        state: 'active',
        customer_id: customer.id,
        subject: { type: 'product', id: key.product_id, name: expect.any(String) },
      },
    ]);
    expect((await api('get', '/customers/external/crm_holder/entitlements').expect(200)).body.data).toEqual(await held());

    await api('patch', `/license-keys/${key.id}`, { active: false }).expect(200);
    expect(await held()).toEqual([]);
    await api('patch', `/license-keys/${key.id}`, { active: true }).expect(200);
    expect(await held()).toHaveLength(1);

    // A refund (as the refund workflow records it) takes the key back in the same view, though its row is still active.
    await h.db.transaction().execute((trx) => transitionInvoice(trx, invoiceId, 'REFUNDED'));
    expect(await held()).toEqual([]);

    // Another customer's entitlements are theirs: none of these.
    const other = await api('post', '/customers', { email: 'nobody-holds@e.co' }).expect(201);
    expect((await api('get', `/customers/${other.body.data.id}/entitlements`).expect(200)).body.data).toEqual([]);
  });
});
