import type { DbTransaction } from '../db/schema';
import { clawBackCommissionShare } from '../affiliates/referral-clawback';
import { recordEvent } from '../events/record';
import { transitionInvoice } from '../orders/invoice-transitions';
import { disableLicenseKeys, revokeVariantGrants } from './revoke-goods';

export type RefundExtent = 'full' | 'line_items' | 'amount';

/**
 * What a refund that went through (or that the seller pays out by hand) takes back, once, in
 * one transaction with its mark:
 * - the whole order's money back (this refund and the earlier ones reach what was paid): the
 *   invoice becomes REFUNDED, and the transition's consequences run — commission clawed back,
 *   community access revoked, license keys disabled, a subscription ended;
 * - line items refunded whole: those lines' license keys and community access, and the
 *   commission in proportion to the money;
 * - an amount only: no goods, the commission in proportion.
 * Then `order.refunded` with the amounts.
 */
export async function applyRefundConsequences(trx: DbTransaction, refundId: number): Promise<RefundExtent | null> {
  const refund = await trx.selectFrom('refunds').selectAll().where('id', '=', refundId).forUpdate().executeTakeFirstOrThrow();
  if (refund.consequences_at || (refund.status !== 'succeeded' && refund.status !== 'manual')) return null;
  const invoice = await trx
    .selectFrom('invoices')
    .select(['id', 'store_id', 'livemode', 'total_cents', 'currency', 'status'])
    .where('id', '=', refund.invoice_id)
    .forUpdate()
    .executeTakeFirstOrThrow();
  // Only refunds whose consequences ran count: they are what the order has already given back
  // (one that failed at the gateway after that gave no money back).
  const before = await trx
    .selectFrom('refunds')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount_cents'), eb.lit(0)).as('cents'))
    .where('invoice_id', '=', invoice.id)
    .where('consequences_at', 'is not', null)
    .where('status', '!=', 'failed')
    .executeTakeFirstOrThrow();
  const refundedBefore = Number(before.cents);
  const refundedTotal = refundedBefore + refund.amount_cents;
  const extent: RefundExtent = refundedTotal >= invoice.total_cents ? 'full' : refund.line_ids.length > 0 ? 'line_items' : 'amount';

  if (extent === 'full') {
    await transitionInvoice(trx, invoice.id, 'REFUNDED', { quiet: true });
  } else {
    if (extent === 'line_items') {
      const lines = await trx.selectFrom('invoice_lines').select('variant_id').where('id', 'in', refund.line_ids).execute();
      const variants = [...new Set(lines.map((l) => l.variant_id))];
      await disableLicenseKeys(trx, invoice.id, variants);
      await revokeVariantGrants(trx, invoice.id, variants);
    }
    await clawBackCommissionShare(trx, invoice.id, {
      keptBeforeCents: invoice.total_cents - refundedBefore,
      refundCents: refund.amount_cents,
    });
  }
  const now = new Date();
  await trx.updateTable('refunds').set({ consequences_at: now, updated_at: now }).where('id', '=', refund.id).execute();
  await recordEvent(trx, {
    storeId: invoice.store_id,
    livemode: invoice.livemode,
    type: 'order.refunded',
    data: {
      id: invoice.id,
      refund_id: refund.id,
      partial: extent !== 'full',
      amount: refund.amount_cents,
      amount_refunded: refundedTotal,
      currency: invoice.currency,
      manual: refund.manual,
      line_items: refund.line_ids,
      reason: refund.reason,
    },
  });
  return extent;
}
