import type { DbExecutor, DbTransaction } from '../db/schema';
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

/** Refund ids are int4: a custom_id that is anything else names no refund of ours. */
const refundIdOf = (value: string | null) => (value && /^\d{1,10}$/.test(value) && Number(value) <= 2_147_483_647 ? Number(value) : null);

/**
 * The refund of ours a PayPal refund is, locked: of this invoice, made through PayPal by the
 * refund workflow, named by PayPal's refund id or by the custom_id we send (our refund id, so an
 * event before the workflow recorded PayPal's answer still finds it). Undefined: none of ours.
 */
export async function paypalRefundOfOurs(trx: DbExecutor, invoiceId: number, refund: { refundId: string; customId: string | null }) {
  const named = refundIdOf(refund.customId);
  const row = await trx
    .selectFrom('refunds')
    .selectAll()
    .where('invoice_id', '=', invoiceId)
    .where('provider', '=', 'paypal')
    .where('source', '=', 'api')
    .where((eb) =>
      named === null
        ? eb('provider_refund_id', '=', refund.refundId)
        : eb.or([eb('id', '=', named), eb('provider_refund_id', '=', refund.refundId)]),
    )
    .orderBy('id')
    .forUpdate()
    .executeTakeFirst();
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
