import { z } from 'zod';
import type { Selectable } from 'kysely';
import type { DbExecutor } from '../../../db/schema';
import type { FeedbackTable } from '../../../db/schema/support';
import { feedbackView, leaveFeedback, replyToFeedback, requireFeedback, storeFeedback } from '../../../support/feedback';
import type { ApiDependencies } from '../../context';
import { pageQuery } from '../../pagination';
import type { DocumentedRouter } from '../../route';
import { rowId } from '../../schemas/common';
import { SearchTranslator } from '../../search';
import { registerListAndSearch } from './resource-routes';

const SENTIMENTS = ['POSITIVE', 'NEUTRAL', 'NEGATIVE'] as const;
const feedbackParams = z.object({ feedback: rowId });
const view = z
  .object({ id: z.number(), feedback: z.enum(SENTIMENTS), rating: z.number(), reply: z.string().nullable() })
  .passthrough()
  .openapi('Feedback');
const feedbackSearch = new SearchTranslator(
  {
    id: 'id',
    feedback: 'feedback',
    rating: 'rating',
    invoice_id: 'invoice_id',
    listing_id: 'listing_id',
    created_at: 'created_at',
    updated_at: 'updated_at',
  },
  ['message', 'reply'],
);

/** SellApp's feedback (v1 paths): list, search, retrieve, reply; and how a storefront submits a review. */
export function registerFeedbackRoutes(
  router: DocumentedRouter,
  deps: ApiDependencies,
  // The v2 paths answer the spec's v2 model.
  views: (db: DbExecutor, rows: Selectable<FeedbackTable>[]) => unknown[] | Promise<unknown[]> = (_db, rows) => rows.map(feedbackView),
): void {
  const one = async (row: Selectable<FeedbackTable>) => (await views(deps.db, [row]))[0];
  registerListAndSearch(router, deps, {
    path: '/feedback',
    noun: 'feedback',
    tags: ['Feedback'],
    item: view,
    scope: 'invoices:read',
    query: pageQuery,
    listSummary: 'List feedback, newest first',
    searchSummary: 'Search feedback (filters on rating, sentiment, invoice, listing, dates; text search on message and reply)',
    from: (auth) => storeFeedback(deps.db, auth.store.id),
    rows: (q) => q.selectAll(),
    translator: feedbackSearch,
    order: [['id', 'desc']],
    view: (rows) => views(deps.db, rows),
  });

  router
    .route({
      method: 'post',
      path: '/feedback',
      summary: 'A customer reviews a delivered order (not in the seed: how a storefront submits feedback); once per order',
      tags: ['Feedback'],
      scope: 'invoices:write',
      modes: 'both',
      body: z
        .object({
          invoice_id: rowId,
          rating: z.number().int().min(1).max(5),
          message: z.string().max(5000).optional(),
          feedback: z.enum(SENTIMENTS).optional(),
        })
        .strict(),
      status: 201,
      response: z.object({ data: view }),
      handler: async ({ auth, body: { invoice_id: invoiceId, ...review } }) => {
        const row = await deps.db.transaction().execute((trx) => leaveFeedback(trx, auth.store.id, { ...review, invoiceId }));
        return { data: await one(row) };
      },
    })
    .route({
      method: 'get',
      path: '/feedback/:feedback',
      summary: 'Retrieve feedback',
      tags: ['Feedback'],
      scope: 'invoices:read',
      params: feedbackParams,
      response: z.object({ data: view }),
      handler: async ({ auth, params }) => ({ data: await one(await requireFeedback(deps.db, auth.store.id, params.feedback)) }),
    })
    .route({
      // The spec's v2 serves the reply as PUT too.
      method: ['put', 'patch'],
      path: '/feedback/:feedback',
      summary: 'Reply to feedback as the store',
      tags: ['Feedback'],
      scope: 'invoices:write',
      modes: 'both',
      params: feedbackParams,
      body: z.object({ reply: z.string().min(1).max(5000) }).strict(),
      response: z.object({ data: view }),
      handler: async ({ auth, params, body }) => ({
        data: await one(await replyToFeedback(deps.db, auth.store.id, params.feedback, body.reply)),
      }),
    });
}
