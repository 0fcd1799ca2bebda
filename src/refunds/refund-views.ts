import type { Db, DbExecutor, RefundStatus } from '../db/schema';
import { laravelTime } from '../catalog/views/timestamps';

/** The refunds a store's world holds, with whether each refunded an order or a charge. */
export const refundQuery = (db: DbExecutor, storeId: number, livemode: boolean) =>
  db
    .selectFrom('refunds as r')
    .innerJoin('invoices as i', 'i.id', 'r.invoice_id')
    .where('r.store_id', '=', storeId)
    .where('r.livemode', '=', livemode);

type RefundRow = Awaited<ReturnType<typeof loadRefunds>>[number];

export function loadRefunds(db: Db, storeId: number, livemode: boolean, page: { limit: number; offset: number }) {
  return refundQuery(db, storeId, livemode)
    .selectAll('r')
    .select('i.kind')
    .orderBy('r.id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
}

export function loadRefund(db: DbExecutor, storeId: number, livemode: boolean, id: number) {
  return refundQuery(db, storeId, livemode).selectAll('r').select('i.kind').where('r.id', '=', id).executeTakeFirst();
}

/**
 * The spec's refund statuses (pending, effective, failed, cancelled): a refund the gateway made
 * and one recorded for the seller to pay out by hand (`manual: true`) have both taken effect.
 */
const SPEC_STATUS: Record<RefundStatus, 'pending' | 'effective' | 'failed'> = {
  pending: 'pending',
  succeeded: 'effective',
  manual: 'effective',
  failed: 'failed',
};

/** The spec's Refund, plus what Sellflow adds: manual payout, the lines refunded, why it is pending or failed, when. */
export function refundView(row: RefundRow) {
  return {
    id: row.id,
    source: row.source,
    refundable: { type: row.kind === 'CHARGE' ? ('charge' as const) : ('order' as const), id: row.invoice_id },
    provider: row.provider,
    provider_payment_id: row.provider_payment_id,
    provider_refund_id: row.provider_refund_id,
    amount_cents: row.amount_cents,
    currency: row.currency,
    status: SPEC_STATUS[row.status],
    reason: row.reason,
    manual: row.manual,
    line_items: row.line_ids,
    failure_reason: row.failure_reason,
    pending_reason: row.pending_reason,
    created_at: laravelTime(row.created_at),
    updated_at: laravelTime(row.updated_at),
  };
}
