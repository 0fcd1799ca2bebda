import type { DbExecutor, DbTransaction } from '../db/schema';
import { lockGatewayRefundOfOurs } from './gateway-refund-of-ours';
import { applyRefundConsequences } from './refund-consequences';
import { failRefund } from './refund-failed';

/** PayPal's word on one of its refunds: the refund's status (COMPLETED, PENDING, FAILED, CANCELLED) and why it waits or failed. */
export interface PaypalRefundReport {
  refundId: string;
  status: string | null;
  reason: string | null;
}

export interface PaypalRefundUpdate {
  /** refunded: it took effect now; refund_failed: it failed, nothing taken back; pending: still waiting; ignored: see reason. */
  result: 'refunded' | 'refund_failed' | 'pending' | 'ignored';
  reason: string | null;
}

/**
 * The refund of ours a PayPal refund is, locked: of this invoice, named by PayPal's refund id or by
 * the custom_id we send (our refund id). Undefined: none of ours.
 */
export async function paypalRefundOfOurs(trx: DbExecutor, invoiceId: number, refund: { refundId: string; customId: string | null }) {
  const row = await lockGatewayRefundOfOurs(trx, {
    provider: 'paypal',
    invoiceId,
    providerRefundId: refund.refundId,
    sentId: refund.customId,
  });
  // The custom_id names a refund PayPal knows by another id: not this one.
  if (row && row.provider_refund_id !== null && row.provider_refund_id !== refund.refundId) return undefined;
  return row;
}

/**
 * Settles a refund PayPal answered PENDING by what PayPal reports of it now (its webhook, or the
 * refund workflow asking), under the refund's row lock taken by the caller: COMPLETED takes effect
 * and runs its consequences here, once; FAILED or CANCELLED marks it failed with
 * `order.refund_failed`, nothing taken back; PENDING keeps it pending with PayPal's reason. A refund
 * settled already (by the other reporter, or the workflow's own answer) changes nothing.
 */
export async function applyPaypalRefundReport(
  trx: DbTransaction,
  row: { id: number; status: string },
  report: PaypalRefundReport,
): Promise<PaypalRefundUpdate> {
  const ignored = (reason: string): PaypalRefundUpdate => ({ result: 'ignored', reason });
  if (row.status !== 'pending') return ignored(`refund ${row.id} is ${row.status} already`);
  switch (report.status) {
    case 'COMPLETED': {
      await trx
        .updateTable('refunds')
        .set({ status: 'succeeded', provider_refund_id: report.refundId, pending_reason: null, updated_at: new Date() })
        .where('id', '=', row.id)
        .execute();
      // The workflow's own consequences step may have found it pending and left it: they run here.
      await applyRefundConsequences(trx, row.id);
      return { result: 'refunded', reason: null };
    }
    case 'FAILED':
    case 'CANCELLED': {
      const why = `PayPal ${report.status.toLowerCase()} refund ${report.refundId}${report.reason ? `: ${report.reason}` : ''}`;
      await trx
        .updateTable('refunds')
        .set({ provider_refund_id: report.refundId, pending_reason: null })
        .where('id', '=', row.id)
        .execute();
      await failRefund(trx, row.id, why);
      return { result: 'refund_failed', reason: why };
    }
    case 'PENDING':
      await recordPaypalPending(trx, row.id, report);
      return { result: 'pending', reason: `refund ${row.id} is pending at PayPal${report.reason ? ` (${report.reason})` : ''}` };
    default:
      return ignored(`PayPal refund ${report.refundId} is ${report.status ?? 'without a status'}`);
  }
}

/** A refund PayPal is still making: its id and PayPal's reason, while it stays pending. */
export async function recordPaypalPending(trx: DbExecutor, refundId: number, report: PaypalRefundReport): Promise<void> {
  await trx
    .updateTable('refunds')
    .set({ provider_refund_id: report.refundId, pending_reason: report.reason, updated_at: new Date() })
    .where('id', '=', refundId)
    .where('status', '=', 'pending')
    .execute();
}
