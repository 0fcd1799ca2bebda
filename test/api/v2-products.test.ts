import request from 'supertest';
import { issueApiKey } from '../../src/accounts/api-keys';
import { type Harness, startHarness } from '../helpers/harness';

let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
beforeAll(async () => {
  h = await startHarness();
  store = await h.createStore();
});
afterAll(() => h.close());

const api = (key = store.live) => ({
  get: (path: string) => request(h.app).get(path).set('Authorization', `Bearer ${key}`),
  post: (path: string, body?: object) => request(h.app).post(path).set('Authorization', `Bearer ${key}`).send(body),
  patch: (path: string, body?: object) => request(h.app).patch(path).set('Authorization', `Bearer ${key}`).send(body),
  delete: (path: string, body?: object) => request(h.app).delete(path).set('Authorization', `Bearer ${key}`).send(body),
});

const variantBody = (overrides: Record<string, unknown> = {}) => ({
  title: 'Default',
  description: 'Default product variant.',
  deliverable: { types: ['TEXT'], data: { serials: ['SERIAL-001'], parsingMode: 'NEW_LINE', removeDuplicate: true } },
  pricing: { humble: false, price: { price: 1000, currency: 'USD' } },
  payment_methods: ['PAYPAL'],
  ...overrides,
});

async function productWithVariant(title = 'Elixir') {
  const product = await api().post('/api/v2/products', { title, description: 'd', visibility: 'PUBLIC' }).expect(201);
  const variant = await api().post(`/api/v2/products/${product.body.data.id}/variants`, variantBody()).expect(201);
  return { product: product.body.data, variant: variant.body.data };
}

describe('v2 products', () => {
  it('creates a draft product in the documented shape, which lists once it has a variant', async () => {
    const created = await api().post('/api/v2/products', {
      title: 'Immortality Elixir',
      description: 'Live forever',
      visibility: 'PUBLIC',
      additional_information: [
        { type: 'checkbox', required: true, label: 'I agree to handing over my soul' },
        { type: 'email', required: true, label: 'Soul Transfer Email', key: 'soul_transfer_email', placeholder: 'your.soul@example.com' },
      ],
      other_settings: { faq: [{ question: 'Forever?', answer: 'Yes' }], video_url: 'https://www.youtube.com/watch?v=x' },
    });
    expect(created.status).toBe(201);
    const p = created.body.data;
    expect(Object.keys(p)).toEqual([
      'id',
      'title',
      'slug',
      'description',
      'images',
      'order',
      'visibility',
      'delivery_text',
      'additional_information',
      'other_settings',
      'deleted_at',
      'created_at',
      'updated_at',
      'store_id',
      'category_id',
      'section_id',
      'section_order',
      'is_discoverable',
      'variants',
      'url',
    ]);
    expect(p).toMatchObject({
      title: 'Immortality Elixir',
      slug: 'immortality-elixir',
      visibility: 'PUBLIC',
      is_discoverable: true,
      variants: [],
      store_id: store.id,
    });
    expect(p.additional_information[0]).toEqual({
      required: true,
      key: '5ebae238c0afae7f4a4b96b30ff6f34c',
      type: 'checkbox',
      label: 'I agree to handing over my soul',
    });
    expect(p.additional_information[1]).toMatchObject({ key: 'soul_transfer_email', placeholder: 'your.soul@example.com' });
    expect(p.other_settings).toEqual({
      faq: [{ question: 'Forever?', answer: 'Yes' }],
      video_url: 'https://www.youtube.com/watch?v=x',
      redirect_url: '',
      product_title: '',
      product_description: '',
    });
    expect(p.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(p.url).toMatch(new RegExp(`/stores/${store.slug}/product/immortality-elixir$`));

    const ids = async (query = '') => (await api().get(`/api/v2/products${query}`)).body.data.map((x: { id: number }) => x.id);
    expect(await ids()).not.toContain(p.id);
    expect(await ids('?with_drafts=true')).toContain(p.id);
    expect(await ids('?only_drafts=1')).toContain(p.id);
    await api().post(`/api/v2/products/${p.id}/variants`, variantBody()).expect(201);
    expect(await ids()).toContain(p.id);
    expect(await ids('?only_drafts=true')).not.toContain(p.id);
    const again = await api().get(`/api/v2/products/${p.id}`);
    expect(again.body.data.variants).toEqual([{ id: expect.any(Number), title: 'Default' }]);
  });

  it('validates with 422, param and errors', async () => {
    const res = await api().post('/api/v2/products', { title: 'x', visibility: 'SOMETIMES' });
    expect(res.status).toBe(422);
    expect(res.body.message).toBe('The given data was invalid.');
    expect(Object.keys(res.body.errors).sort()).toEqual(['description', 'visibility']);
    const reserved = await api().post('/api/v2/products', {
      title: 'x',
      description: 'd',
      visibility: 'PUBLIC',
      additional_information: [{ type: 'text', required: true, label: 'customer_email' }],
    });
    expect(reserved.status).toBe(422);
    expect(reserved.body.error.param).toBe('additional_information.0.label');
  });

  it('takes only http(s) URLs for the post-purchase redirect and the video, with a 422 naming the field', async () => {
    const created = await api().post('/api/v2/products', { title: 'Links', description: 'd', visibility: 'PUBLIC' });
    expect(created.status).toBe(201);
    const path = `/api/v2/products/${created.body.data.id}`;
    for (const bad of [
      'javascript:alert(1)',
      'JavaScript://x/%0aalert(1)',
      'data:text/html,<script>alert(1)</script>',
      'ftp://files.example/x',
      'vbscript:x',
    ]) {
      const res = await api().patch(path, { other_settings: { redirect_url: bad } });
      expect(res.status).toBe(422);
      expect(Object.keys(res.body.errors)).toEqual(['other_settings.redirect_url']);
      expect(res.body.errors['other_settings.redirect_url'].join(' ')).toMatch(/http\(s\)|url/i);
      expect((await api().patch(path, { other_settings: { video_url: bad } })).status).toBe(422);
    }
    const good = 'HTTPS://shop.example.com/done?order=[order_id]&email=[customer_email]';
    const saved = await api().patch(path, { other_settings: { redirect_url: good, video_url: 'http://video.example/v' } });
    expect(saved.status).toBe(200);
    expect((await api().get(path)).body.data.other_settings).toMatchObject({ redirect_url: good, video_url: 'http://video.example/v' });
  });

  it('derives unique slugs, and refuses a chosen slug that is taken with 409', async () => {
    const a = await api().post('/api/v2/products', { title: 'Same Name', description: 'd', visibility: 'PUBLIC' });
    const b = await api().post('/api/v2/products', { title: 'Same Name', description: 'd', visibility: 'PUBLIC' });
    expect(a.body.data.slug).toBe('same-name');
    expect(b.body.data.slug).toBe('same-name-2');
    const taken = await api().post('/api/v2/products', { title: 'Other', description: 'd', visibility: 'PUBLIC', slug: 'same-name' });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toMatchObject({ type: 'conflict', code: 'duplicate_slug', param: 'slug' });
  });

  it('updates partially, and deletes softly with product.trashed', async () => {
    const { product } = await productWithVariant('To Trash');
    const updated = await api().patch(`/api/v2/products/${product.id}`, { title: 'Renamed' });
    expect(updated.body.data).toMatchObject({ title: 'Renamed', description: 'd', visibility: 'PUBLIC' });
    const deleted = await api().delete(`/api/v2/products/${product.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body.data.deleted_at).not.toBeNull();
    expect((await api().get(`/api/v2/products/${product.id}`)).status).toBe(404);
    expect(await h.db.selectFrom('products').select('id').where('id', '=', product.id).execute()).toHaveLength(1);
    const events = await h.db
      .selectFrom('events')
      .select(['type', 'data'])
      .where('store_id', '=', store.id)
      .orderBy('created_at')
      .execute();
    const mine = events.filter((e) => e.data.id === product.id || e.data.product_id === product.id).map((e) => e.type);
    expect(mine).toEqual(expect.arrayContaining(['product.created', 'product.updated', 'product.trashed', 'variant.created']));
  });

  it('runs the batch routes all-or-none', async () => {
    const created = await api().post('/api/v2/products/batch', {
      resources: [
        { title: 'Batch A', description: 'd', visibility: 'PUBLIC', type: 'product' },
        { title: 'Batch B', description: 'd', visibility: 'HIDDEN' },
      ],
    });
    expect(created.status).toBe(200);
    const [a, b] = created.body.data;
    const updated = await api().patch('/api/v2/products/batch', {
      resources: { [a.id]: { title: 'Batch A2' }, [b.id]: { visibility: 'PRIVATE' } },
    });
    expect(updated.body.data.map((p: { title: string; visibility: string }) => [p.title, p.visibility])).toEqual([
      ['Batch A2', 'PUBLIC'],
      ['Batch B', 'PRIVATE'],
    ]);
    const failing = await api().patch('/api/v2/products/batch', { resources: { [a.id]: { title: 'Never' }, '999999': { title: 'x' } } });
    expect(failing.status).toBe(404);
    expect((await api().get(`/api/v2/products/${a.id}`)).body.data.title).toBe('Batch A2');
    const removed = await api().delete('/api/v2/products/batch', { resources: [a.id, b.id] });
    expect(removed.body.data.every((p: { deleted_at: string | null }) => p.deleted_at !== null)).toBe(true);
  });

  it('searches with filters, free text and sort, refusing unknown fields', async () => {
    await productWithVariant('Zebra Search');
    await productWithVariant('Aardvark Search');
    const res = await api().post('/api/v2/products/search', { search: { value: 'search' }, sort: [{ field: 'title', direction: 'asc' }] });
    expect(res.status).toBe(200);
    expect(res.body.data.map((p: { title: string }) => p.title)).toEqual(['Aardvark Search', 'Zebra Search']);
    const filtered = await api().post('/api/v2/products/search', { filters: [{ field: 'title', operator: '=', value: 'Zebra Search' }] });
    expect(filtered.body.data).toHaveLength(1);
    const bad = await api().post('/api/v2/products/search', { filters: [{ field: 'password', value: 1 }] });
    expect(bad.status).toBe(422);
    expect(bad.body.error.param).toBe('filters.0.field');
  });

  it('keeps stores apart: another store’s key never sees or changes these products', async () => {
    const { product } = await productWithVariant('Private Goods');
    const other = await h.createStore();
    expect((await api(other.live).get(`/api/v2/products/${product.id}`)).status).toBe(404);
    expect((await api(other.live).patch(`/api/v2/products/${product.id}`, { title: 'Stolen' })).status).toBe(404);
    expect((await api(other.live).delete(`/api/v2/products/${product.id}`)).status).toBe(404);
    expect((await api(other.live).get(`/api/v2/products/${product.id}/variants`)).status).toBe(404);
    const list = await api(other.live).get('/api/v2/products?with_drafts=true');
    expect(list.body.data).toEqual([]);
  });

  it('needs products:read to read and products:write to write', async () => {
    const readOnly = await issueApiKey(h.db, { accountId: store.accountId, storeId: store.id, mode: 'live', scopes: ['products:read'] });
    expect((await api(readOnly.key).get('/api/v2/products')).status).toBe(200);
    const denied = await api(readOnly.key).post('/api/v2/products', { title: 'x', description: 'd', visibility: 'PUBLIC' });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('missing_scope');
  });
});
