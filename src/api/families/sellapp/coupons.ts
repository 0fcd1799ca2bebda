import { z } from 'zod';
import { couponView, createCoupon, deleteCoupon, loadCoupon, storeCoupons, updateCoupon } from '../../../coupons/coupons';
import { COUPON_TYPES } from '../../../domain/coupons';
import type { ApiDependencies } from '../../context';
import { pageQuery } from '../../pagination';
import type { DocumentedRouter } from '../../route';
import { couponCreate, couponUpdate } from '../../schemas/coupons';
import { queryBoolean, rowId } from '../../schemas/common';
import { SearchTranslator } from '../../search';
import { registerBatchRoutes, registerListAndSearch } from './resource-routes';

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
  const common = { path: '/coupons', noun: 'coupons', tags: ['Coupons'], item: couponView_ };
  registerListAndSearch(router, deps, {
    ...common,
    scope: 'products:read',
    query: listQuery,
    listSummary: 'List coupons (with_trashed / only_trashed for deleted ones)',
    searchSummary: 'Search coupons (filters on id, code, type, store_wide, limit, uses, dates; text search on code)',
    from: (auth, query) => storeCoupons(deps.db, auth.store.id, query),
    rows: (q) => q.selectAll(),
    translator: couponSearch,
    order: [['id', 'asc']],
    view: (rows) => rows.map(couponView),
  });
  registerBatchRoutes(router, deps.db, {
    ...common,
    scope: 'products:write',
    create: couponCreate,
    update: couponUpdate,
    created: async (trx, storeId, resource, field) => couponView(await createCoupon(trx, storeId, resource, field)),
    updated: async (trx, storeId, id, change, field) => couponView(await updateCoupon(trx, storeId, id, change, field)),
    deleted: async (trx, storeId, ids) => {
      const views = [];
      for (const id of ids) views.push(couponView(await deleteCoupon(trx, storeId, id)));
      return views;
    },
  });

  router
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
