import type { DbExecutor } from '../db/schema';
import { refundedCents } from './request-refund';

/** A gateway's report of the money refunded on a payment so far (all refunds, ours and the dashboard's). */
export interface ReportedRefund {
  provider: string;
  totalRefundedCents: number;
  providerPaymentId: string | null;
  providerRefundId: string | null;
}

/**
 * The part of the gateway's running total that no refund of ours accounts for (one made in the
 * gateway's dashboard) is recorded as a refund, and returned for the caller to act on; 0 when the
 * money went back through our own refunds (their workflows take it from there).
 */
export async function recordReportedRefund(
  trx: DbExecutor,
  invoice: { id: number; store_id: number; livemode: boolean; currency: string },
  report: ReportedRefund,
): Promise<number> {
  const extra = report.totalRefundedCents - (await refundedCents(trx, invoice.id));
  if (extra <= 0) return 0;
  const now = new Date();
  await trx
    .insertInto('refunds')
    .values({
      store_id: invoice.store_id,
      livemode: invoice.livemode,
      invoice_id: invoice.id,
      source: report.provider,
      provider: report.provider,
      manual: false,
      amount_cents: extra,
      currency: invoice.currency,
      reason: null,
      line_ids: '[]',
      status: 'succeeded',
      provider_payment_id: report.providerPaymentId,
      provider_refund_id: report.providerRefundId,
      failure_reason: null,
      request_key: null,
      // What a dashboard refund sets off runs with the event itself (the gateway's event handler).
      consequences_at: now,
    })
    .execute();
  return extra;
}
