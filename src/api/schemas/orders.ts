import { z } from 'zod';
import { type PageQuery, pageQuery } from '../pagination';
import { searchBody } from '../search';

/** The newer searches (orders, line items) send their page in the body as `pagination`. */
const bodyPagination = z
  .object({ page: z.number().int().min(1).optional(), limit: z.number().int().min(1).max(100).optional() })
  .strict()
  .optional();

export const orderSearchBody = searchBody.extend({ pagination: bodyPagination }).openapi('OrderSearchRequest');
export const lineItemSearchBody = searchBody.extend({ pagination: bodyPagination }).openapi('LineItemSearchRequest');

/** The page a search asks for: its body's `pagination`, else the query's. */
export function searchPage(query: PageQuery, body: { pagination?: { page?: number; limit?: number } }): PageQuery {
  return { page: body.pagination?.page ?? query.page, limit: body.pagination?.limit ?? query.limit };
}

export const searchPageQuery = z.object({ page: pageQuery.shape.page, limit: pageQuery.shape.limit });

/** GET /v2/orders/{order}/events: a cursor (the last event id of the previous page) and a page size. */
export const orderEventsQuery = z.object({
  cursor: z.string().min(1).max(64).optional(),
  after: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
