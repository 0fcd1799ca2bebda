import { z } from 'zod';
import {
  attachProducts,
  detachProducts,
  deleteGroup,
  groupProductColumns,
  groupProducts,
  groupProductsQuery,
  storeGroups,
  groupProductView,
  groupViews,
  replaceGroupProducts,
  requireGroup,
  writeGroup,
} from '../../../catalog/groups';
import type { ApiDependencies } from '../../context';
import { notFound } from '../../errors';
import type { RequestAuth } from '../../middleware/authenticate';
import { registerListAndSearch } from '../../families/sellapp/resource-routes';
import { pageQuery } from '../../pagination';
import type { DocumentedRouter } from '../../route';
import { rowId, rowIdNumber } from '../../schemas/common';
import { SearchTranslator } from '../../search';

const groupFields = {
  title: z.string().min(1).max(255),
  unlisted: z.boolean(),
  order: z.number().int().min(0).max(1_000_000).nullable().optional(),
  /** Not in the seed's schema (it has no other way to place a group in a section). */
  section_id: rowId.nullable().optional(),
  section_order: z.number().int().min(0).max(1_000_000).nullable().optional(),
};
const groupCreate = z.object(groupFields).strict();
const groupUpdate = groupCreate.partial().strict();
const groupParams = z.object({ group: rowId });
const groupProductParams = groupParams.extend({ product: rowId });
const productIds = z.object({ resources: z.array(rowId).min(1).max(500) }).strict();
const groupView = z.object({ id: z.number(), title: z.string(), products_linked: z.number() }).passthrough().openapi('Group');
const groupProduct = z
  .object({ id: z.number(), pivot: z.object({ group_id: z.number(), listing_id: z.number(), order: z.number() }) })
  .passthrough()
  .openapi('GroupProduct');

const groupSearch = new SearchTranslator(
  {
    id: 'id',
    title: 'title',
    order: 'order',
    unlisted: 'unlisted',
    section_id: 'section_id',
    created_at: 'created_at',
    updated_at: 'updated_at',
  },
  ['title'],
);
const groupProductSearch = new SearchTranslator(
  { id: 'p.id', title: 'p.title', slug: 'p.slug', order: 'gp.order', created_at: 'p.created_at' },
  ['p.title', 'p.description'],
);

/** SellApp v2 groups: CRUD, search, and which products they hold in what order. */
export function registerGroupRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  const one = async (auth: RequestAuth, id: number) => (await groupViews(deps.db, [await requireGroup(deps.db, auth.store.id, id)]))[0]!;

  registerListAndSearch(router, deps, {
    path: '/groups',
    noun: 'groups',
    tags: ['Groups'],
    item: groupView,
    scope: 'products:read',
    query: pageQuery,
    listSummary: 'List groups',
    searchSummary: 'Search groups',
    from: (auth) => storeGroups(deps.db, auth.store.id),
    rows: (q) => q.selectAll(),
    translator: groupSearch,
    order: [
      ['order', 'asc', 'nulls last'],
      ['id', 'asc'],
    ],
    view: (rows) => groupViews(deps.db, rows),
  });
  router
    .route({
      method: 'post',
      path: '/groups',
      summary: 'Create a group',
      tags: ['Groups'],
      scope: 'products:write',
      body: groupCreate,
      status: 201,
      response: z.object({ data: groupView }),
      handler: async ({ auth, body }) => ({ data: await one(auth, (await writeGroup(deps.db, auth.store.id, body)).id) }),
    })
    .route({
      method: 'get',
      path: '/groups/:group',
      summary: 'Retrieve a group',
      tags: ['Groups'],
      scope: 'products:read',
      params: groupParams,
      response: z.object({ data: groupView }),
      handler: async ({ auth, params }) => ({ data: await one(auth, params.group) }),
    })
    .route({
      method: 'patch',
      path: '/groups/:group',
      summary: 'Update a group',
      tags: ['Groups'],
      scope: 'products:write',
      params: groupParams,
      body: groupUpdate,
      response: z.object({ data: groupView }),
      handler: async ({ auth, params, body }) => {
        await deps.db.transaction().execute((trx) => writeGroup(trx, auth.store.id, body, params.group));
        return { data: await one(auth, params.group) };
      },
    })
    .route({
      method: 'delete',
      path: '/groups/:group',
      summary: 'Delete a group (permanent; its products stay)',
      tags: ['Groups'],
      scope: 'products:write',
      params: groupParams,
      response: z.object({ data: groupView }),
      handler: async ({ auth, params }) => {
        const view = await one(auth, params.group);
        await deleteGroup(deps.db, auth.store.id, params.group);
        return { data: view };
      },
    })
    .route({
      method: 'post',
      path: '/groups/:group/products/attach',
      summary: 'Add products to the end of the group, in the order given',
      tags: ['Groups'],
      scope: 'products:write',
      params: groupParams,
      body: productIds,
      response: z.object({ attached: z.array(z.number()) }),
      handler: async ({ auth, params, body }) => ({
        attached: await deps.db.transaction().execute((trx) => attachProducts(trx, auth.store.id, params.group, body.resources)),
      }),
    })
    .route({
      method: 'delete',
      path: '/groups/:group/products/detach',
      summary: 'Remove products from the group',
      tags: ['Groups'],
      scope: 'products:write',
      params: groupParams,
      body: productIds,
      response: z.object({ detached: z.array(z.number()) }),
      handler: async ({ auth, params, body }) => ({
        detached: await deps.db.transaction().execute((trx) => detachProducts(trx, auth.store.id, params.group, body.resources)),
      }),
    })
    .route({
      method: 'put',
      path: '/groups/:group/products',
      summary: 'Set the group’s products: exactly these, in this order',
      tags: ['Groups'],
      scope: 'products:write',
      params: groupParams,
      body: z.object({ product_ids: z.array(rowIdNumber).max(500) }),
      response: z.object({ data: groupView }),
      handler: async ({ auth, params, body }) => {
        await deps.db.transaction().execute((trx) => replaceGroupProducts(trx, auth.store.id, params.group, body.product_ids));
        return { data: await one(auth, params.group) };
      },
    });
  registerListAndSearch(router, deps, {
    path: '/groups/:group/products',
    noun: 'products',
    tags: ['Groups'],
    item: groupProduct,
    scope: 'products:read',
    params: groupParams,
    query: pageQuery,
    listSummary: 'The group’s products in their order',
    searchSummary: 'Search the group’s products',
    from: async (auth, _query, params) => {
      await requireGroup(deps.db, auth.store.id, params.group);
      return groupProducts(deps.db, auth.store.id, params.group);
    },
    rows: groupProductColumns,
    translator: groupProductSearch,
    order: [['gp.order', 'asc']],
    view: (rows) => rows.map(groupProductView),
  });
  router.route({
    method: 'get',
    path: '/groups/:group/products/:product',
    summary: 'One product of the group',
    tags: ['Groups'],
    scope: 'products:read',
    params: groupProductParams,
    response: z.object({ data: groupProduct }),
    handler: async ({ auth, params }) => {
      await requireGroup(deps.db, auth.store.id, params.group);
      const row = await groupProductsQuery(deps.db, auth.store.id, params.group).where('p.id', '=', params.product).executeTakeFirst();
      if (!row) throw notFound('Product');
      return { data: groupProductView(row) };
    },
  });
}
