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
import { pageQuery, pageUrl } from '../../pagination';
import { pagedSearch } from '../../paged-search';
import type { DocumentedRouter } from '../../route';
import { rowId, rowIdNumber } from '../../schemas/common';
import { SearchTranslator, searchBody } from '../../search';

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
  const page = (auth: RequestAuth, query: z.infer<typeof pageQuery>, path: string, search?: z.infer<typeof searchBody>) =>
    pagedSearch({
      from: storeGroups(deps.db, auth.store.id),
      rows: (q) => q.selectAll(),
      search,
      translator: groupSearch,
      order: [
        ['order', 'asc', 'nulls last'],
        ['id', 'asc'],
      ],
      page: query,
      path,
      view: (rows) => groupViews(deps.db, rows),
    });
  const productPage = async (
    auth: RequestAuth,
    groupId: number,
    query: z.infer<typeof pageQuery>,
    path: string,
    search?: z.infer<typeof searchBody>,
  ) => {
    await requireGroup(deps.db, auth.store.id, groupId);
    return pagedSearch({
      from: groupProducts(deps.db, auth.store.id, groupId),
      rows: groupProductColumns,
      search,
      translator: groupProductSearch,
      order: [['gp.order', 'asc']],
      page: query,
      path,
      view: (rows) => rows.map(groupProductView),
    });
  };
  const one = async (auth: RequestAuth, id: number) => (await groupViews(deps.db, [await requireGroup(deps.db, auth.store.id, id)]))[0]!;

  router
    .route({
      method: 'get',
      path: '/groups',
      summary: 'List groups',
      tags: ['Groups'],
      scope: 'products:read',
      query: pageQuery,
      response: z.object({ data: z.array(groupView) }).passthrough(),
      handler: ({ auth, query, req }) => page(auth, query, pageUrl(deps.config.api.publicBaseUrl, req)),
    })
    .route({
      method: 'post',
      path: '/groups/search',
      summary: 'Search groups',
      tags: ['Groups'],
      scope: 'products:read',
      query: pageQuery,
      body: searchBody,
      response: z.object({ data: z.array(groupView) }).passthrough(),
      handler: ({ auth, query, body, req }) => page(auth, query, pageUrl(deps.config.api.publicBaseUrl, req), body),
    })
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
    })
    .route({
      method: 'get',
      path: '/groups/:group/products',
      summary: 'The group’s products in their order',
      tags: ['Groups'],
      scope: 'products:read',
      params: groupParams,
      query: pageQuery,
      response: z.object({ data: z.array(groupProduct) }).passthrough(),
      handler: ({ auth, params, query, req }) => productPage(auth, params.group, query, pageUrl(deps.config.api.publicBaseUrl, req)),
    })
    .route({
      method: 'post',
      path: '/groups/:group/products/search',
      summary: 'Search the group’s products',
      tags: ['Groups'],
      scope: 'products:read',
      params: groupParams,
      query: pageQuery,
      body: searchBody,
      response: z.object({ data: z.array(groupProduct) }).passthrough(),
      handler: ({ auth, params, query, body, req }) =>
        productPage(auth, params.group, query, pageUrl(deps.config.api.publicBaseUrl, req), body),
    })
    .route({
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
