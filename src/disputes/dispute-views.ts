import type { Db } from '../db/schema';
import { laravelTime } from '../catalog/views/timestamps';

export const disputeQuery = (db: Db, storeId: number, livemode: boolean) =>
  db
    .selectFrom('disputes as d')
    .innerJoin('invoices as i', 'i.id', 'd.invoice_id')
    .where('d.store_id', '=', storeId)
    .where('d.livemode', '=', livemode);

export function loadDisputes(db: Db, storeId: number, livemode: boolean, page: { limit: number; offset: number }) {
  return disputeQuery(db, storeId, livemode)
    .selectAll('d')
    .select('i.kind')
    .orderBy('d.created_at', 'desc')
    .orderBy('d.id')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
}

export function loadDispute(db: Db, storeId: number, livemode: boolean, id: string) {
  return disputeQuery(db, storeId, livemode).selectAll('d').select('i.kind').where('d.id', '=', id).executeTakeFirst();
}

type DisputeRow = NonNullable<Awaited<ReturnType<typeof loadDispute>>>;

/** The spec's Dispute, plus the gateway's own status word and when it opened and closed. */
export function disputeView(row: DisputeRow) {
  return {
    id: row.id,
    source: { type: row.kind === 'CHARGE' ? ('charge' as const) : ('order' as const), id: row.invoice_id },
    provider: row.provider,
    provider_dispute_id: row.provider_dispute_id,
    amount: row.amount_cents,
    currency: row.currency,
    status: row.status,
    reason: row.reason,
    provider_status: row.provider_status,
    created_at: laravelTime(row.created_at),
    updated_at: laravelTime(row.updated_at),
    closed_at: laravelTime(row.closed_at),
  };
}
