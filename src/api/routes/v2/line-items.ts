import { z } from 'zod';
import { findStoreInvoice } from '../../../orders/store-invoice';
import { LINE_ITEM_FIELDS, lineItemViews, storeLineItems } from '../../../orders/line-item-view';
import type { ApiDependencies } from '../../context';
import { notFound } from '../../errors';
import type { RequestAuth } from '../../middleware/authenticate';
import { pagedSearch } from '../../paged-search';
import { type PageQuery, pageQuery, pageUrl } from '../../pagination';
import type { DocumentedRouter } from '../../route';
import { rowId } from '../../schemas/common';
import { lineItemSearchBody, searchPage, searchPageQuery } from '../../schemas/orders';
import { type SearchBody, SearchTranslator } from '../../search';

const lineItemView = z
  .object({ id: z.number(), order: z.object({ id: z.number() }).passthrough(), status: z.string(), quantity: z.number() })
  .passthrough()
  .openapi('LineItem');
const page = z.object({ data: z.array(lineItemView) }).passthrough();
const one = z.object({ data: lineItemView });
const lineItemSearch = new SearchTranslator(LINE_ITEM_FIELDS, ['l.title', 'i.customer_email']);
const orderParams = z.object({ order: rowId });

/**
 * SellApp's line items: the lines of the store's invoices, by their own stable ids, store-wide
 * (`/v2/line-items`) or within one order (`/v2/orders/{order}/line-items`). A projection of
 * `invoice_lines` (src/orders/line-item-view.ts); nothing is written here.
 */
export function registerLineItemRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  const lines = (auth: RequestAuth, orderId?: number) => {
    const all = storeLineItems(deps.db, auth.store.id, auth.livemode);
    return orderId === undefined ? all : all.where('l.invoice_id', '=', orderId);
  };
  const list = (auth: RequestAuth, query: PageQuery, req: { baseUrl: string; path: string }, search?: SearchBody, orderId?: number) =>
    pagedSearch({
      from: lines(auth, orderId),
      rows: (q) => q.select('l.id'),
      search,
      translator: lineItemSearch,
      order: [['l.id', 'desc']],
      page: query,
      path: pageUrl(deps.config.api.publicBaseUrl, req),
      view: (rows) =>
        lineItemViews(
          deps.db,
          rows.map((r) => r.id),
        ),
    });
  const requireOrder = async (auth: RequestAuth, id: number) => {
    if (!(await findStoreInvoice(deps.db, auth.store.id, id))) throw notFound('Order');
    return id;
  };
  const lineItem = async (auth: RequestAuth, id: number, orderId?: number) => {
    const row = await lines(auth, orderId).select('l.id').where('l.id', '=', id).executeTakeFirst();
    if (!row) throw notFound('Line item');
    return { data: (await lineItemViews(deps.db, [row.id]))[0]! };
  };
  const read = { tags: ['Line items'], scope: 'invoices:read' as const };

  router
    .route({
      ...read,
      method: 'get',
      path: '/line-items',
      summary: 'List the line items of the store’s orders, newest first',
      query: pageQuery,
      response: page,
      handler: ({ auth, query, req }) => list(auth, query, req),
    })
    .route({
      ...read,
      method: 'post',
      path: '/line-items/search',
      summary: 'Search line items (eq / in / contains / gt / gte / lt / lte on order_id, product_id, status, total, created_at…)',
      query: searchPageQuery,
      body: lineItemSearchBody,
      response: page,
      handler: ({ auth, query, body, req }) => list(auth, searchPage(query, body), req, body),
    })
    .route({
      ...read,
      method: 'get',
      path: '/line-items/:lineItem',
      summary: 'Retrieve a line item',
      params: z.object({ lineItem: rowId }),
      response: one,
      handler: ({ auth, params }) => lineItem(auth, params.lineItem),
    })
    .route({
      ...read,
      method: 'get',
      path: '/orders/:order/line-items',
      summary: 'List the line items of an order',
      params: orderParams,
      query: pageQuery,
      response: page,
      handler: async ({ auth, params, query, req }) => list(auth, query, req, undefined, await requireOrder(auth, params.order)),
    })
    .route({
      ...read,
      method: 'post',
      path: '/orders/:order/line-items/search',
      summary: 'Search the line items of an order',
      params: orderParams,
      query: searchPageQuery,
      body: lineItemSearchBody,
      response: page,
      handler: async ({ auth, params, query, body, req }) =>
        list(auth, searchPage(query, body), req, body, await requireOrder(auth, params.order)),
    })
    .route({
      ...read,
      method: 'get',
      path: '/orders/:order/line-items/:lineItem',
      summary: 'Retrieve a line item of an order (404 when it is another order’s)',
      params: orderParams.extend({ lineItem: rowId }),
      response: one,
      handler: async ({ auth, params }) => lineItem(auth, params.lineItem, await requireOrder(auth, params.order)),
    });
}
