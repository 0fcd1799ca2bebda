import { reviewPartiallyRefundedReferral } from '../affiliates/referral-clawback';
import type { DbExecutor } from '../db/schema';
import { recordEvent } from '../events/record';
import { transitionInvoice } from '../orders/invoice-transitions';
import { refundedCents } from './request-refund';

/** A gateway's report of the money refunded on a payment so far (all refunds, ours and the dashboard's). */
export interface ReportedRefund {
  provider: string;
  totalRefundedCents: number;
  providerPaymentId: string | null;
  providerRefundId: string | null;
}

type ReportedInvoice = { id: number; store_id: number; livemode: boolean; currency: string };

/**
 * The part of the gateway's running total that no refund of ours accounts for (one made in the
 * gateway's dashboard) is recorded as a refund, and returned for the caller to act on; 0 when the
 * money went back through our own refunds (their workflows take it from there).
 */
export async function recordReportedRefund(trx: DbExecutor, invoice: ReportedInvoice, report: ReportedRefund): Promise<number> {
  const extra = report.totalRefundedCents - (await refundedCents(trx, invoice.id));
  if (extra <= 0) return 0;
  await insertDashboardRefund(trx, invoice, report, extra);
  return extra;
}

/** A refund made in the gateway's dashboard, as a refund row of the order (source: the gateway). */
export async function insertDashboardRefund(trx: DbExecutor, invoice: ReportedInvoice, report: ReportedRefund, cents: number) {
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
      amount_cents: cents,
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
}

/**
 * What a dashboard refund of an order's payment sets off (after recordReportedRefund): all the
 * money back makes it REFUNDED, with the transition's consequences, and `order.refunded`; part of
 * it is `order.refunded` (partial) and the affiliate's commission goes back to the seller to decide.
 * `amount_refunded` is the gateway's running total.
 */
export async function applyDashboardRefund(
  trx: DbExecutor,
  invoice: ReportedInvoice,
  refund: { totalRefundedCents: number; currency: string; full: boolean; also?: object },
): Promise<void> {
  const amount = { amount_refunded: refund.totalRefundedCents, currency: refund.currency, ...refund.also };
  const refunded = (data: object) =>
    recordEvent(trx, { storeId: invoice.store_id, livemode: invoice.livemode, type: 'order.refunded', data: { id: invoice.id, ...data } });
  if (refund.full) {
    const moved = await transitionInvoice(trx, invoice.id, 'REFUNDED', { quiet: true });
    if (moved.changed) await refunded({ status: 'REFUNDED', partial: false, ...amount });
  } else {
    await refunded({ partial: true, ...amount });
    // Part of the money went back: the seller decides what the affiliate keeps.
    await reviewPartiallyRefundedReferral(trx, invoice.id, refund.totalRefundedCents);
  }
}
