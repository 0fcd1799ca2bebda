import { sql } from 'kysely';
import type { Db } from '../db/schema';
import { describeUnheard, unheardOrders } from '../outbox/engine-intents';

export const ATTENTION_KINDS = ['order', 'grant', 'webhook_endpoint', 'subscription', 'payment'] as const;
export type AttentionKind = (typeof ATTENTION_KINDS)[number];

export interface AttentionItem {
  kind: AttentionKind | 'unheard';
  subject_id: number;
  invoice_id: number | null;
  store_id: number;
  reason: string;
  since: Date;
}

export const PAGE_SIZE = 25;

/**
 * Everything of a store that waits for a person, oldest first, one page at a time:
 * orders flagged (failed delivery steps, payments that did not match, crypto money short,
 * late or over), community grants needing manual action, paused webhook endpoints,
 * subscriptions past due or with a cancellation in progress, and crypto transfers that
 * matched no invoice. One SQL query, so a page costs the same with 10 or 10,000 orders.
 */
export async function needsAttention(
  db: Db,
  storeId: number,
  filter: { kind?: AttentionKind; page: number },
): Promise<{ items: AttentionItem[]; total: number; unheard: AttentionItem[] }> {
  const all = sql<AttentionItem>`
    select 'order' as kind, i.id as subject_id, i.id as invoice_id, i.store_id,
      coalesce(
        (select string_agg(d.kind || ': ' || coalesce(d.reason, 'failed'), '; ' order by d.id)
           from delivery_steps d where d.invoice_id = i.id and d.status = 'failed'),
        i.attention_reason, 'flagged for attention') as reason,
      i.updated_at as since
      from invoices i where i.needs_attention and i.store_id = ${storeId}
    union all
    select 'grant', g.id, g.invoice_id, g.store_id, g.platform || ': ' || coalesce(g.reason, 'needs manual action'), g.updated_at
      from community_grants g where g.status = 'needs_manual_action' and g.store_id = ${storeId}
    union all
    select 'webhook_endpoint', w.id, null, w.store_id,
      'paused after ' || w.consecutive_failures || ' failed deliveries in a row: ' || w.url, coalesce(w.paused_at, w.updated_at)
      from webhook_endpoints w where w.status = 'paused' and w.deleted_at is null and w.store_id = ${storeId}
    union all
    select 'subscription', s.id, s.invoice_id, s.store_id,
      case when s.status = 'PAST_DUE' then 'past due: the renewal payment failed' else 'cancellation in progress with ' || s.provider end,
      coalesce(s.payment_failed_at, s.cancel_request_sent_at, s.updated_at)
      from subscriptions s where (s.status = 'PAST_DUE' or s.cancellation_in_progress) and s.store_id = ${storeId}
    union all
    select 'payment', u.id, null, u.store_id, u.method || ' transfer ' || u.txid || ' to ' || u.address || ' matched no invoice', u.first_seen_at
      from crypto_unmatched_transfers u where u.store_id = ${storeId}`;
  const kind = filter.kind ? sql`where kind = ${filter.kind}` : sql``;
  const [page, count, unheard] = await Promise.all([
    sql<AttentionItem>`select * from (${all}) a ${kind} order by since, kind, subject_id limit ${PAGE_SIZE} offset ${(filter.page - 1) * PAGE_SIZE}`.execute(
      db,
    ),
    sql<{ total: string }>`select count(*) as total from (${all}) a ${kind}`.execute(db),
    filter.kind && filter.kind !== 'order' ? Promise.resolve([]) : unheardOrders(db, storeId),
  ]);
  return {
    items: page.rows,
    total: Number(count.rows[0]?.total ?? 0),
    unheard: unheard.map((u) => ({
      kind: 'unheard' as const,
      subject_id: u.invoice_id,
      invoice_id: u.invoice_id,
      store_id: storeId,
      reason: describeUnheard(u),
      since: u.since,
    })),
  };
}
