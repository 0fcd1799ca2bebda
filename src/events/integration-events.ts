import { sql } from 'kysely';
import type { Db } from '../db/schema';
import { EVENT_DESCRIPTIONS, EVENT_TYPES } from './catalog';
import { orderEventIds } from './of-order';

/** SellApp's integration events: the store's event log of one mode, newest first, paged by cursor. */

export interface EventPage {
  /** The last event id of the previous page (its `meta.next_cursor`). */
  after?: string;
  limit: number;
}

/** The event log keeps every event; the spec's `retention_days` says so with 0 (no limit). */
export const EVENT_RETENTION_DAYS = 0;

function eventView(row: { id: string; type: string; store_id: number; data: Record<string, unknown>; created_at: Date }) {
  const subjectType = row.type.split('.')[0]!;
  const subjectId = row.data.id ?? row.data.invoice_id ?? row.id;
  return {
    id: row.id,
    type: row.type,
    version: 1,
    store_id: String(row.store_id),
    occurred_at: row.created_at.toISOString(),
    subject: { type: subjectType, id: String(subjectId) },
    data: row.data,
  };
}

/** The log, or (`about.orderId`) only the events of one order: the order's timeline of events. */
export async function listEvents(db: Db, scope: { storeId: number; livemode: boolean }, page: EventPage, about: { orderId?: number } = {}) {
  let query = db
    .selectFrom('events')
    .select(['id', 'type', 'store_id', 'data', 'created_at'])
    .where('store_id', '=', scope.storeId)
    .where('livemode', '=', scope.livemode);
  if (about.orderId !== undefined) query = query.where('id', 'in', orderEventIds(db, scope.storeId, about.orderId));
  if (page.after) {
    const cursor = db.selectFrom('events').select(['created_at', 'id']).where('id', '=', page.after).where('store_id', '=', scope.storeId);
    query = query.where(sql<boolean>`(created_at, id) < (${cursor})`);
  }
  // One more than asked: whether another page follows.
  const rows = await query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit + 1)
    .execute();
  const data = rows.slice(0, page.limit).map(eventView);
  const hasMore = rows.length > page.limit;
  return {
    data,
    meta: { next_cursor: hasMore ? data[data.length - 1]!.id : '', has_more: hasMore, retention_days: EVENT_RETENTION_DAYS },
  };
}

export function eventTypes() {
  return EVENT_TYPES.map((type) => ({ type, version: 1, description: EVENT_DESCRIPTIONS[type] }));
}
