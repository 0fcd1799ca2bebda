import { z } from 'zod';
import type { CatalogActor } from '../../../catalog/actor';
import { createProduct, requireProduct, trashProduct, updateProduct } from '../../../catalog/products';
import { isDraftProduct, productsByIds, storeProducts } from '../../../catalog/product-list';
import { loadProductViews, productV2, type ViewContext } from '../../../catalog/views/sellapp';
import type { DbExecutor } from '../../../db/schema';
import type { ApiDependencies } from '../../context';
import { invalidRequest, notFound } from '../../errors';
import type { RequestAuth } from '../../middleware/authenticate';
import { pageQuery, pageUrl } from '../../pagination';
import { pagedInSellerOrder } from '../../paged-search';
import type { DocumentedRouter } from '../../route';
import { queryBoolean, rowId, rowIdKey, rowIdNumber } from '../../schemas/common';
import { productCreateBody, productInputFromV2, productUpdateBody } from '../../schemas/sellapp-catalog';
import { SearchTranslator, searchBody } from '../../search';

export function actorOf(auth: RequestAuth): CatalogActor {
  return { storeId: auth.store.id, storeSlug: auth.store.slug, livemode: auth.livemode };
}

const productView = z
  .object({
    id: z.number(),
    title: z.string(),
    slug: z.string(),
    visibility: z.string(),
    variants: z.array(z.object({ id: z.number(), title: z.string() })),
    url: z.string(),
  })
  .passthrough()
  .openapi('Product');

const draftQuery = pageQuery.extend({ with_drafts: queryBoolean, only_drafts: queryBoolean });
const productParams = z.object({ product: rowId });
const batchIds = z.object({ resources: z.array(rowIdNumber).min(1).max(100) });

const productSearch = new SearchTranslator(
  {
    id: 'id',
    title: 'title',
    slug: 'slug',
    visibility: 'visibility',
    order: 'order',
    created_at: 'created_at',
    updated_at: 'updated_at',
    section_id: 'section_id',
  },
  ['title', 'slug', 'description'],
);

export async function renderProducts(db: DbExecutor, ids: number[], storeId: number, ctx: ViewContext) {
  if (ids.length === 0) return [];
  const rows = await productsByIds(db, storeId, ids);
  const views = await loadProductViews(db, ids);
  return rows.map((row) =>
    productV2(
      row,
      views.variantsOf(row.id).map((v) => ({ id: v.id, title: v.title })),
      ctx,
    ),
  );
}

export function registerProductRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  const viewContext = (auth: RequestAuth): ViewContext => ({ storefrontBase: deps.config.api.publicBaseUrl, storeSlug: auth.store.slug });

  const listPage = (auth: RequestAuth, query: z.infer<typeof draftQuery>, path: string, search?: z.infer<typeof searchBody>) =>
    pagedInSellerOrder({
      from: storeProducts(deps.db, auth.store.id, query),
      search,
      translator: productSearch,
      page: query,
      path,
      render: (ids) => renderProducts(deps.db, ids, auth.store.id, viewContext(auth)),
    });

  const url = (req: { baseUrl: string; path: string }) => pageUrl(deps.config.api.publicBaseUrl, req);
  const one = async (auth: RequestAuth, id: number) => {
    const [view] = await renderProducts(deps.db, [id], auth.store.id, viewContext(auth));
    if (!view) throw notFound('Product');
    return view;
  };

  router
    .route({
      method: 'get',
      path: '/products',
      summary: 'List all products',
      tags: ['Products'],
      scope: 'products:read',
      query: draftQuery,
      response: z.object({ data: z.array(productView) }).passthrough(),
      handler: ({ auth, query, req }) => listPage(auth, query, url(req)),
    })
    .route({
      method: 'post',
      path: '/products/search',
      summary: 'Search products',
      tags: ['Products'],
      scope: 'products:read',
      query: draftQuery,
      body: searchBody,
      response: z.object({ data: z.array(productView) }).passthrough(),
      handler: ({ auth, query, body, req }) => listPage(auth, query, url(req), body),
    })
    .route({
      method: 'post',
      path: '/products',
      summary: 'Create a product (a draft until it has a variant)',
      tags: ['Products'],
      scope: 'products:write',
      body: productCreateBody,
      status: 201,
      response: z.object({ data: productView }),
      handler: async ({ auth, body }) => {
        const id = await deps.db
          .transaction()
          .execute((trx) => createProduct(trx, actorOf(auth), { ...productInputFromV2(body), title: body.title }));
        return { data: await one(auth, id) };
      },
    })
    .route({
      method: 'post',
      path: '/products/batch',
      summary: 'Batch create products (all or none)',
      tags: ['Products'],
      scope: 'products:write',
      body: z.object({ resources: z.array(productCreateBody).min(1).max(100) }),
      response: z.object({ data: z.array(productView) }),
      handler: async ({ auth, body }) => {
        const ids = await deps.db.transaction().execute(async (trx) => {
          const created: number[] = [];
          for (const resource of body.resources)
            created.push(await createProduct(trx, actorOf(auth), { ...productInputFromV2(resource), title: resource.title }));
          return created;
        });
        return { data: await renderProducts(deps.db, ids, auth.store.id, viewContext(auth)) };
      },
    })
    .route({
      method: 'patch',
      path: '/products/batch',
      summary: 'Batch update products, keyed by id (all or none)',
      tags: ['Products'],
      scope: 'products:write',
      body: z.object({ resources: z.record(rowIdKey('a product id'), productUpdateBody) }),
      response: z.object({ data: z.array(productView) }),
      handler: async ({ auth, body }) => {
        const entries = Object.entries(body.resources);
        if (entries.length === 0 || entries.length > 100)
          throw invalidRequest('invalid_field', 'Send 1-100 products to update', 'resources');
        const ids = await deps.db.transaction().execute(async (trx) => {
          for (const [id, resource] of entries) await updateProduct(trx, actorOf(auth), Number(id), productInputFromV2(resource));
          return entries.map(([id]) => Number(id));
        });
        return { data: await renderProducts(deps.db, ids, auth.store.id, viewContext(auth)) };
      },
    })
    .route({
      method: 'delete',
      path: '/products/batch',
      summary: 'Batch delete products (soft: past orders keep them)',
      tags: ['Products'],
      scope: 'products:write',
      body: batchIds,
      response: z.object({ data: z.array(productView) }),
      handler: async ({ auth, body }) => {
        await deps.db.transaction().execute(async (trx) => {
          for (const id of body.resources) {
            await requireProduct(trx, auth.store.id, id);
            await trashProduct(trx, actorOf(auth), id);
          }
        });
        return { data: await renderProducts(deps.db, body.resources, auth.store.id, viewContext(auth)) };
      },
    })
    .route({
      method: 'get',
      path: '/products/:product',
      summary: 'Retrieve a product',
      tags: ['Products'],
      scope: 'products:read',
      params: productParams,
      query: z.object({ with_drafts: queryBoolean, only_drafts: queryBoolean }),
      response: z.object({ data: productView }),
      handler: async ({ auth, params, query }) => {
        const product = await requireProduct(deps.db, auth.store.id, params.product);
        if (query.only_drafts && !(await isDraftProduct(deps.db, product.id))) throw notFound('Product');
        return { data: await one(auth, product.id) };
      },
    })
    .route({
      // The spec's PUT (ReplaceProduct) has every field optional as PATCH does: both write the fields sent.
      method: ['put', 'patch'],
      path: '/products/:product',
      summary: 'Update a product (expected_updated_at refuses a stale write)',
      tags: ['Products'],
      scope: 'products:write',
      params: productParams,
      body: productUpdateBody,
      response: z.object({ data: productView }),
      handler: async ({ auth, params, body }) => {
        await requireProduct(deps.db, auth.store.id, params.product);
        await deps.db.transaction().execute((trx) => updateProduct(trx, actorOf(auth), params.product, productInputFromV2(body)));
        return { data: await one(auth, params.product) };
      },
    })
    .route({
      method: 'delete',
      path: '/products/:product',
      summary: 'Delete a product (soft: past orders keep it)',
      tags: ['Products'],
      scope: 'products:write',
      params: productParams,
      response: z.object({ data: productView }),
      handler: async ({ auth, params }) => {
        await requireProduct(deps.db, auth.store.id, params.product);
        await deps.db.transaction().execute((trx) => trashProduct(trx, actorOf(auth), params.product));
        return { data: await one(auth, params.product) };
      },
    });
}
