import request from 'supertest';
import { type Harness, startHarness } from '../helpers/harness';

let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
beforeAll(async () => {
  h = await startHarness();
  store = await h.createStore();
});
afterAll(() => h.close());

const call = (method: 'get' | 'post' | 'patch' | 'delete', path: string, body?: object, key = store.live) =>
  request(h.app)[method](`/api/v1${path}`).set('Authorization', `Bearer ${key}`).send(body);

// The seed's create request, verbatim.
const seedCreate = {
  title: 'This will make me rich!',
  description: 'I am sure of it, Pinky.',
  visibility: 'PUBLIC',
  deliverable: { types: ['TEXT'], data: { serials: ['1', '2', '3'], removeDuplicate: false } },
  price: { price: 1000, currency: 'USD' },
  payment_methods: ['PAYPAL', 'STRIPE'],
  minimum_purchase_quantity: 1,
};

describe('SellApp v1 listings', () => {
  it('creates (wrapped), retrieves and updates (bare) in the seed’s shape', async () => {
    const created = await call('post', '/listings', seedCreate);
    expect(created.status).toBe(200);
    const listing = created.body.data;
    expect(Object.keys(listing)).toEqual([
      'id',
      'title',
      'slug',
      'description',
      'images',
      'order',
      'visibility',
      'additional_information',
      'warranty',
      'other_settings',
      'deleted_at',
      'created_at',
      'updated_at',
      'store_id',
      'category_id',
      'section_id',
      'section_order',
      'is_discoverable',
      'image',
      'bulk_discount',
      'deliverable',
      'minimum_purchase_quantity',
      'maximum_purchase_quantity',
      'price',
      'pricing_type',
      'charge_frequency',
      'humble',
      'payment_methods',
      'url',
    ]);
    expect(listing).toMatchObject({
      slug: 'this-will-make-me-rich',
      warranty: { preferredUnit: 'HOURS' },
      other_settings: { quantity_increments: 1, discord_data_required: false },
      is_discoverable: 1,
      deliverable: {
        data: { removeDuplicate: false, parsingMode: 'COMMA', stock: 3, serials: ['1', '2', '3'] },
        types: ['TEXT'],
        delivery_text: null,
      },
      price: { price: '1000', currency: 'USD' },
      pricing_type: 'SINGLE_PAYMENT',
      charge_frequency: { value: 1, interval: 'MONTH' },
      humble: false,
      payment_methods: ['PAYPAL', 'STRIPE'],
    });

    const retrieved = await call('get', `/listings/${listing.id}`);
    expect(retrieved.body.id).toBe(listing.id);
    expect(retrieved.body.data).toBeUndefined();

    // The seed's update request, verbatim.
    const updated = await call('patch', `/listings/${listing.id}`, {
      deliverable: { types: ['TEXT', 'MANUAL'], data: { serials: ['1', '2', '3'], comment: 'Thanks', removeDuplicate: false } },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.deliverable).toEqual({
      data: { removeDuplicate: false, parsingMode: 'COMMA', stock: 3, comment: 'Thanks', serials: ['1', '2', '3'] },
      types: ['TEXT', 'MANUAL'],
      delivery_text: null,
    });
    expect(updated.body.title).toBe('This will make me rich!');

    // The same product is visible through v2 with its variant.
    const v2 = await request(h.app).get(`/api/v2/products/${listing.id}/variants`).set('Authorization', `Bearer ${store.live}`);
    expect(v2.body.data).toHaveLength(1);
    expect(v2.body.data[0].pricing.price).toEqual({ price: '1000', currency: 'USD' });
  });

  it('sets subscription pricing, warranty and delivery text', async () => {
    const res = await call('post', '/listings', {
      ...seedCreate,
      title: 'Monthly',
      pricing_type: 'SUBSCRIPTION',
      charge_frequency: { value: 1, interval: 'YEAR' },
      warranty: { preferredUnit: 'DAYS', text: 'Replacement within 3 days', time: 259200 },
      deliverable: { types: ['MANUAL'], data: { comment: 'Welcome aboard' }, delivery_text: 'Thanks!' },
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      pricing_type: 'SUBSCRIPTION',
      charge_frequency: { value: 1, interval: 'YEAR' },
      warranty: { preferredUnit: 'DAYS', time: 259200 },
    });
    expect(res.body.data.deliverable.delivery_text).toBe('Thanks!');
    const twoYears = await call('post', '/listings', {
      ...seedCreate,
      pricing_type: 'SUBSCRIPTION',
      charge_frequency: { value: 2, interval: 'YEAR' },
    });
    expect(twoYears.status).toBe(422);
  });

  it('deletes softly: gone from the list, back with with_trashed / only_trashed', async () => {
    const created = await call('post', '/listings', { ...seedCreate, title: 'Short lived' });
    const id = created.body.data.id;
    expect((await call('delete', `/listings/${id}`)).status).toBe(200);
    expect((await call('get', `/listings/${id}`)).status).toBe(404);
    const ids = async (q: string) => (await call('get', `/listings${q}`)).body.data.map((l: { id: number }) => l.id);
    expect(await ids('')).not.toContain(id);
    expect(await ids('?with_trashed=true')).toContain(id);
    expect(await ids('?only_trashed=true')).toEqual([id]);
  });

  it('answers SellApp-style errors: 422 with errors, 404 with message, 401 Unauthenticated.', async () => {
    const invalid = await call('post', '/listings', { title: 'No price' });
    expect(invalid.status).toBe(422);
    expect(invalid.body.errors).toHaveProperty('price');
    expect(invalid.body.error.type).toBe('invalid_request');
    const missing = await call('get', '/listings/999999');
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe('Product not found.');
    const anonymous = await request(h.app).get('/api/v1/listings');
    expect(anonymous.body.message).toBe('Unauthenticated.');
  });

  it('never shows one store’s listings to another', async () => {
    const created = await call('post', '/listings', { ...seedCreate, title: 'Mine' });
    const other = await h.createStore();
    expect((await call('get', `/listings/${created.body.data.id}`, undefined, other.live)).status).toBe(404);
    expect((await call('get', '/listings', undefined, other.live)).body.data).toEqual([]);
  });
});
