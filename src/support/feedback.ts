import type { Selectable } from 'kysely';
import { laravelTime } from '../catalog/views/timestamps';
import { CatalogConflictError, CatalogNotFoundError, CatalogRuleError } from '../catalog/errors';
import type { DbExecutor } from '../db/schema';
import type { FeedbackTable, Sentiment } from '../db/schema/support';
import { recordEvent } from '../events/record';

/** 4–5 stars read positive, 3 neutral, 1–2 negative, unless the customer said otherwise. */
export function sentimentOf(rating: number): Sentiment {
  return rating >= 4 ? 'POSITIVE' : rating === 3 ? 'NEUTRAL' : 'NEGATIVE';
}

export function feedbackView(row: Selectable<FeedbackTable>) {
  return {
    id: row.id,
    feedback: row.feedback,
    rating: row.rating,
    deleted_at: laravelTime(row.deleted_at),
    created_at: laravelTime(row.created_at),
    updated_at: laravelTime(row.updated_at),
    listing_id: row.listing_id,
    invoice_id: row.invoice_id,
    store_id: row.store_id,
    metadata: row.metadata,
    message: row.message,
    reply: row.reply,
    is_automatic: row.is_automatic,
  };
}

/** The spec's v2 feedback model: v1's, with the sentiment, the order and the product it is about. */
export async function feedbackViewsV2(db: DbExecutor, rows: Selectable<FeedbackTable>[]) {
  const productIds = [...new Set(rows.map((r) => r.listing_id).filter((id): id is number => id !== null))];
  const products =
    productIds.length === 0 ? [] : await db.selectFrom('products').select(['id', 'title']).where('id', 'in', productIds).execute();
  return rows.map((row) => ({
    ...feedbackView(row),
    metadata: row.metadata ?? {},
    product_id: row.listing_id,
    order_id: row.invoice_id,
    sentiment: row.feedback,
    variant_id: null,
    product_title: products.find((p) => p.id === row.listing_id)?.title ?? null,
  }));
}

/** A store's feedback (not deleted); nothing selected yet. */
export function storeFeedback(db: DbExecutor, storeId: number) {
  return db.selectFrom('feedback').where('store_id', '=', storeId).where('deleted_at', 'is', null);
}

export async function requireFeedback(db: DbExecutor, storeId: number, id: number) {
  const row = await storeFeedback(db, storeId).selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new CatalogNotFoundError('Feedback');
  return row;
}

/** A customer reviews a delivered order, once; the store hears of it (feedback.created). */
export async function leaveFeedback(
  trx: DbExecutor,
  storeId: number,
  input: { invoiceId: number; rating: number; message?: string; feedback?: Sentiment },
) {
  const invoice = await trx
    .selectFrom('invoices')
    .select(['id', 'status', 'livemode'])
    .where('id', '=', input.invoiceId)
    .where('store_id', '=', storeId)
    .executeTakeFirst();
  if (!invoice) throw new CatalogRuleError('invalid_field', `No invoice ${input.invoiceId} in this store`, 'invoice_id');
  if (invoice.status !== 'COMPLETED')
    throw new CatalogRuleError(
      'invalid_status',
      `Only a delivered (COMPLETED) order can be reviewed; this one is ${invoice.status}`,
      'invoice_id',
    );
  const line = await trx
    .selectFrom('invoice_lines')
    .select('product_id')
    .where('invoice_id', '=', invoice.id)
    .orderBy('id')
    .executeTakeFirst();
  const row = await trx
    .insertInto('feedback')
    .values({
      store_id: storeId,
      invoice_id: invoice.id,
      listing_id: line?.product_id ?? null,
      feedback: input.feedback ?? sentimentOf(input.rating),
      rating: input.rating,
      message: input.message ?? null,
      reply: null,
      metadata: JSON.stringify({}),
      deleted_at: null,
    })
    .onConflict((oc) => oc.column('invoice_id').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new CatalogConflictError('feedback_exists', 'This order has already been reviewed', 'invoice_id');
  await recordEvent(trx, {
    storeId,
    livemode: invoice.livemode,
    type: 'feedback.created',
    data: { id: row.id, invoice_id: invoice.id, rating: row.rating, feedback: row.feedback },
  });
  return row;
}

export async function replyToFeedback(db: DbExecutor, storeId: number, id: number, reply: string) {
  await requireFeedback(db, storeId, id);
  return db.updateTable('feedback').set({ reply, updated_at: new Date() }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
}
