import { z } from 'zod';
import { couponView, createCoupon, deleteCoupon, loadCoupon, updateCoupon } from '../../../coupons/coupons';
import { COUPON_TYPES } from '../../../domain/coupons';
import type { ApiDependencies } from '../../context';
import type { RequestAuth } from '../../middleware/authenticate';
import { pageQuery, pageUrl } from '../../pagination';
import type { DocumentedRouter } from '../../route';
import { couponCreate, couponUpdate } from '../../schemas/coupons';
import { queryBoolean, rowId, rowIdKey, rowIdNumber } from '../../schemas/common';
import { pagedSearch } from '../../paged-search';
import { SearchTranslator, searchBody } from '../../search';

const couponParams = z.object({ coupon: rowId });
const listQuery = pageQuery.extend({ with_trashed: queryBoolean, only_trashed: queryBoolean });
const couponView_ = z
  .object({ id: z.number(), code: z.string(), type: z.enum(COUPON_TYPES), discount: z.string() })
  .passthrough()
  .openapi('Coupon');

const couponSearch = new SearchTranslator(
  {
    id: 'id',
    code: 'code',
    type: 'type',
    store_wide: 'store_wide',
    limit: 'limit',
    uses: 'uses',
    expires_at: 'expires_at',
    created_at: 'created_at',
    updated_at: 'updated_at',
  },
  ['code'],
);

/** SellApp's coupons (v1 paths in its v2 reference): CRUD, search and batch. */
export function registerCouponRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  const page = (auth: RequestAuth, query: z.infer<typeof listQuery>, path: string, search?: z.infer<typeof searchBody>) => {
    let from = deps.db.selectFrom('coupons').where('store_id', '=', auth.store.id);
    if (query.only_trashed) from = from.where('deleted_at', 'is not', null);
    else if (!query.with_trashed) from = from.where('deleted_at', 'is', null);
    return pagedSearch({
      from,
      rows: (q) => q.selectAll(),
      search,
      translator: couponSearch,
      order: [['id', 'asc']],
      page: query,
      path,
      view: (rows) => rows.map(couponView),
    });
  };

  router
    .route({
      method: 'get',
      path: '/coupons',
      summary: 'List coupons (with_trashed / only_trashed for deleted ones)',
      tags: ['Coupons'],
      scope: 'products:read',
      query: listQuery,
      response: z.object({ data: z.array(couponView_) }).passthrough(),
      handler: ({ auth, query, req }) => page(auth, query, pageUrl(deps.config.api.publicBaseUrl, req)),
    })
    .route({
      method: 'post',
      path: '/coupons/search',
      summary: 'Search coupons (filters on id, code, type, store_wide, limit, uses, dates; text search on code)',
      tags: ['Coupons'],
      scope: 'products:read',
      query: listQuery,
      body: searchBody,
      response: z.object({ data: z.array(couponView_) }).passthrough(),
      handler: ({ auth, query, body, req }) => page(auth, query, pageUrl(deps.config.api.publicBaseUrl, req), body),
    })
    .route({
      method: 'post',
      path: '/coupons/batch',
      summary: 'Create several coupons at once (all or none)',
      tags: ['Coupons'],
      scope: 'products:write',
      body: z.object({ resources: z.array(couponCreate).min(1).max(100) }).strict(),
      response: z.object({ data: z.array(couponView_) }),
      handler: async ({ auth, body }) => ({
        data: await deps.db.transaction().execute(async (trx) => {
          const rows = [];
          for (const [i, resource] of body.resources.entries())
            rows.push(couponView(await createCoupon(trx, auth.store.id, resource, `resources.${i}.`)));
          return rows;
        }),
      }),
    })
    .route({
      method: 'patch',
      path: '/coupons/batch',
      summary: 'Update several coupons at once, keyed by id (all or none)',
      tags: ['Coupons'],
      scope: 'products:write',
      body: z.object({ resources: z.record(rowIdKey(), couponUpdate) }).strict(),
      response: z.object({ data: z.array(couponView_) }),
      handler: async ({ auth, body }) => ({
        data: await deps.db.transaction().execute(async (trx) => {
          const rows = [];
          for (const [id, change] of Object.entries(body.resources))
            rows.push(couponView(await updateCoupon(trx, auth.store.id, Number(id), change, `resources.${id}.`)));
          return rows;
        }),
      }),
    })
    .route({
      method: 'delete',
      path: '/coupons/batch',
      summary: 'Delete several coupons at once (all or none)',
      tags: ['Coupons'],
      scope: 'products:write',
      body: z.object({ resources: z.array(rowIdNumber).min(1).max(100) }).strict(),
      response: z.object({ data: z.array(couponView_) }),
      handler: async ({ auth, body }) => ({
        data: await deps.db.transaction().execute(async (trx) => {
          const rows = [];
          for (const id of body.resources) rows.push(couponView(await deleteCoupon(trx, auth.store.id, id)));
          return rows;
        }),
      }),
    })
    .route({
      method: 'post',
      path: '/coupons',
      summary: 'Create a coupon (discount: percent, or major currency units for AMOUNT)',
      tags: ['Coupons'],
      scope: 'products:write',
      body: couponCreate,
      status: 201,
      response: z.object({ data: couponView_ }),
      handler: async ({ auth, body }) => ({
        data: couponView(await deps.db.transaction().execute((trx) => createCoupon(trx, auth.store.id, body))),
      }),
    })
    .route({
      method: 'get',
      path: '/coupons/:coupon',
      summary: 'Retrieve a coupon',
      tags: ['Coupons'],
      scope: 'products:read',
      params: couponParams,
      response: z.object({ data: couponView_ }),
      handler: async ({ auth, params }) => ({
        data: couponView(await loadCoupon(deps.db, auth.store.id, params.coupon, { withTrashed: true })),
      }),
    })
    .route({
      // The spec serves the update as PUT too (v1 coupons and sections, v2 all three).
      method: ['put', 'patch'],
      path: '/coupons/:coupon',
      summary: 'Update a coupon',
      tags: ['Coupons'],
      scope: 'products:write',
      params: couponParams,
      body: couponUpdate,
      response: z.object({ data: couponView_ }),
      handler: async ({ auth, params, body }) => ({
        data: couponView(await deps.db.transaction().execute((trx) => updateCoupon(trx, auth.store.id, params.coupon, body))),
      }),
    })
    .route({
      method: 'delete',
      path: '/coupons/:coupon',
      summary: 'Delete a coupon (past invoices keep it)',
      tags: ['Coupons'],
      scope: 'products:write',
      params: couponParams,
      response: z.object({ data: couponView_ }),
      handler: async ({ auth, params }) => ({
        data: couponView(await deps.db.transaction().execute((trx) => deleteCoupon(trx, auth.store.id, params.coupon))),
      }),
    });
}
