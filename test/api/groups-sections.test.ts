import request from 'supertest';
import { createVariant } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/** SellApp groups (v2) and sections (v1): CRUD, search, batch, and product membership in order. */
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
beforeAll(async () => {
  h = await startHarness();
  store = await h.createStore();
});
afterAll(() => h.close());

const call = (version: 'v1' | 'v2', method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string, body?: object, key = store.live) =>
  request(h.app)[method](`/api/${version}${path}`).set('Authorization', `Bearer ${key}`).send(body);

describe('groups', () => {
  it('creates, updates, searches and deletes a group; attaches products in order and detaches them', async () => {
    const first = await createVariant(
      h,
      store.live,
      { deliverable: { types: ['MANUAL'], data: { comment: 'x' } }, price: 700 },
      { title: 'Alpha' },
    );
    const second = await createVariant(
      h,
      store.live,
      { deliverable: { types: ['MANUAL'], data: { comment: 'x' } }, price: 300 },
      { title: 'Beta' },
    );
    const group = (await call('v2', 'post', '/groups', { title: 'Bundles', unlisted: false, order: 2 }).expect(201)).body.data;
    expect(group).toMatchObject({
      title: 'Bundles',
      unlisted: false,
      order: 2,
      products_linked: 0,
      products: [],
      store_id: store.id,
      section_id: null,
    });
    const attached = await call('v2', 'post', `/groups/${group.id}/products/attach`, {
      resources: [second.productId, first.productId],
    }).expect(200);
    expect(attached.body).toEqual({ attached: [second.productId, first.productId] });
    // Attaching again changes nothing; the order stays as first given.
    await call('v2', 'post', `/groups/${group.id}/products/attach`, { resources: [first.productId] }).expect(200);
    const listed = (await call('v2', 'get', `/groups/${group.id}/products`).expect(200)).body;
    expect(listed.data.map((p: { id: number }) => p.id)).toEqual([second.productId, first.productId]);
    expect(listed.data[0]).toMatchObject({
      title: 'Beta',
      pivot: { group_id: group.id, listing_id: second.productId, order: 1 },
      default_price: { price: '300', currency: 'USD' },
    });
    expect((await call('v2', 'get', `/groups/${group.id}`).expect(200)).body.data).toMatchObject({
      products_linked: 2,
      products: [{ id: String(second.productId) }, { id: String(first.productId) }],
    });
    const searched = (await call('v2', 'post', `/groups/${group.id}/products/search`, { search: { value: 'alph' } }).expect(200)).body.data;
    expect(searched.map((p: { id: number }) => p.id)).toEqual([first.productId]);
    expect((await call('v2', 'get', `/groups/${group.id}/products/${first.productId}`).expect(200)).body.data.pivot.order).toBe(2);

    expect((await call('v2', 'delete', `/groups/${group.id}/products/detach`, { resources: [second.productId] }).expect(200)).body).toEqual(
      { detached: [second.productId] },
    );
    expect((await call('v2', 'get', `/groups/${group.id}/products/${second.productId}`)).status).toBe(404);
    const renamed = (await call('v2', 'patch', `/groups/${group.id}`, { title: 'Deals', unlisted: true }).expect(200)).body.data;
    expect(renamed).toMatchObject({ title: 'Deals', unlisted: true, products_linked: 1 });
    expect(
      (
        await call('v2', 'post', '/groups/search', { filters: [{ field: 'title', operator: '=', value: 'Deals' }] }).expect(200)
      ).body.data.map((g: { id: number }) => g.id),
    ).toEqual([group.id]);
    await call('v2', 'delete', `/groups/${group.id}`).expect(200);
    expect((await call('v2', 'get', `/groups/${group.id}`)).status).toBe(404);
    expect((await call('v2', 'get', `/products/${first.productId}`)).status).toBe(200);
  });

  it('validates input and keeps stores apart', async () => {
    expect((await call('v2', 'post', '/groups', { title: 'No flag' })).status).toBe(422);
    const group = (await call('v2', 'post', '/groups', { title: 'Mine', unlisted: false }).expect(201)).body.data;
    const foreign = await createVariant(h, (await h.createStore()).live, { deliverable: { types: ['MANUAL'], data: { comment: 'x' } } });
    const refused = await call('v2', 'post', `/groups/${group.id}/products/attach`, { resources: [foreign.productId] });
    expect(refused.status).toBe(422);
    expect(refused.body.error.param).toBe('resources');
    const other = await h.createStore();
    expect((await call('v2', 'get', `/groups/${group.id}`, undefined, other.live)).status).toBe(404);
    expect((await call('v2', 'post', `/groups/${group.id}/products/attach`, { resources: [foreign.productId] }, other.live)).status).toBe(
      404,
    );
    expect((await call('v2', 'post', '/groups', { title: 'Bad section', unlisted: false, section_id: 999999 })).body.error.param).toBe(
      'section_id',
    );
  });
});

describe('sections', () => {
  it('creates with a slug, places groups in it, batch-creates/updates/deletes, and deletes permanently', async () => {
    const section = (await call('v1', 'post', '/sections', { title: 'Top Picks', hidden: false }).expect(201)).body.data;
    expect(section).toMatchObject({
      title: 'Top Picks',
      slug: 'top-picks',
      hidden: false,
      groups_linked: 0,
      products_linked: 0,
      store_id: store.id,
    });
    const { productId } = await createVariant(
      h,
      store.live,
      { deliverable: { types: ['MANUAL'], data: { comment: 'x' } } },
      { title: 'Gamma' },
    );
    const group = (
      await call('v2', 'post', '/groups', { title: 'In section', unlisted: false, section_id: section.id, section_order: 1 }).expect(201)
    ).body.data;
    await call('v2', 'post', `/groups/${group.id}/products/attach`, { resources: [productId] }).expect(200);
    const shown = (await call('v1', 'get', `/sections/${section.id}`).expect(200)).body.data;
    expect(shown).toMatchObject({
      groups_linked: 1,
      groups: [{ id: group.id, title: 'In section', group_products: [{ id: productId, title: 'Gamma' }] }],
    });
    expect((await call('v1', 'patch', `/sections/${section.id}`, { title: 'Best Sellers' }).expect(200)).body.data.slug).toBe(
      'best-sellers',
    );

    const failed = await call('v1', 'post', '/sections/batch', { resources: [{ title: 'A', hidden: false }, { title: 'B' }] });
    expect(failed.status).toBe(422);
    const made = (
      await call('v1', 'post', '/sections/batch', {
        resources: [
          { title: 'A', hidden: false },
          { title: 'B', hidden: true },
        ],
      }).expect(200)
    ).body.data;
    const patched = (
      await call('v1', 'patch', '/sections/batch', { resources: { [made[0].id]: { hidden: true }, [made[1].id]: { order: 5 } } }).expect(
        200,
      )
    ).body.data;
    expect(patched.map((s: { hidden: boolean; order: number }) => [s.hidden, s.order])).toEqual([
      [true, 0],
      [true, 5],
    ]);
    expect(
      (await call('v1', 'post', '/sections/search', { search: { value: 'best' } }).expect(200)).body.data.map((s: { id: number }) => s.id),
    ).toEqual([section.id]);
    await call('v1', 'delete', '/sections/batch', { resources: [made[0].id, made[1].id] }).expect(200);
    await call('v1', 'delete', `/sections/${section.id}`).expect(200);
    expect((await call('v1', 'get', `/sections/${section.id}`)).status).toBe(404);
    // The group outlives its section, unsectioned.
    expect((await call('v2', 'get', `/groups/${group.id}`).expect(200)).body.data.section_id).toBeNull();
    const other = await h.createStore();
    expect((await call('v1', 'get', '/sections', undefined, other.live)).body.data).toEqual([]);
  });

  it('puts sections in order and makes a section hold exactly the products and groups given', async () => {
    const a = (await call('v2', 'post', '/sections', { title: 'Order A', hidden: false }).expect(201)).body.data;
    const b = (await call('v2', 'post', '/sections', { title: 'Order B', hidden: false }).expect(201)).body.data;
    const ordered = (await call('v2', 'put', '/sections/order', { resources: [b.id, a.id] }).expect(200)).body.data;
    expect(ordered.map((x: { id: number; order: number }) => [x.id, x.order])).toEqual([
      [b.id, 0],
      [a.id, 1],
    ]);
    const { productId: p1 } = await createVariant(
      h,
      store.live,
      { deliverable: { types: ['MANUAL'], data: { comment: 'x' } } },
      { title: 'P1' },
    );
    const { productId: p2 } = await createVariant(
      h,
      store.live,
      { deliverable: { types: ['MANUAL'], data: { comment: 'x' } } },
      { title: 'P2' },
    );
    await call('v1', 'put', `/sections/${a.id}/products`, { resources: [p2, p1] }).expect(200);
    const held = (await call('v1', 'put', `/sections/${a.id}/products`, { resources: [p1] }).expect(200)).body.data;
    expect(held.products.map((p: { id: number }) => p.id)).toEqual([p1]);
    expect(held.products_linked).toBe(1);
    const group = (await call('v2', 'post', '/groups', { title: 'Held', unlisted: false }).expect(201)).body.data;
    expect((await call('v2', 'put', `/sections/${a.id}/groups`, { resources: [group.id] }).expect(200)).body.data.groups_linked).toBe(1);
    expect((await call('v2', 'get', `/groups/${group.id}`).expect(200)).body.data).toMatchObject({ section_id: a.id, section_order: 0 });
    const other = await h.createStore();
    expect((await call('v2', 'put', `/sections/${a.id}/products`, { resources: [p1] }, other.live)).status).toBe(404);
    expect((await call('v2', 'put', `/sections/${a.id}/products`, { resources: [999999] })).status).toBe(422);
  });
});
