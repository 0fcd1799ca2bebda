import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';
import type { SaleUndoingStatus } from '../domain/invoice-status';
import { commissionAfterRefund } from '../domain/refund-amount';
import { releaseFromDuePayout, timelineEntry } from './referrals';

/** The reason a clawed-back referral shows, by what undid the sale. */
const CLAWBACK_REASONS: Record<SaleUndoingStatus, string> = {
  REFUNDED: 'refunded',
  REVERSED: 'reversed',
  DISPUTING: 'disputed',
  VOIDED: 'voided',
};

/**
 * The invoice's live referral, locked and out of any payout still due, for money going back to
 * change; null when there is none, it is voided, or it was paid out already (then `lateNote` is
 * all that can be recorded on it).
 */
async function releasedReferral(trx: DbExecutor, invoiceId: number, lateNote: string) {
  const referral = await trx
    .selectFrom('affiliate_referrals')
    .select(['id', 'payout_id', 'voided_at', 'commission_cents'])
    .where('invoice_id', '=', invoiceId)
    .forUpdate()
    .executeTakeFirst();
  if (!referral || referral.voided_at) return null;
  if (await releaseFromDuePayout(trx, referral)) return referral;
  const now = new Date();
  await trx
    .updateTable('affiliate_referrals')
    .set({ timeline: sql`timeline || ${timelineEntry('NOTE', now, lateNote)}::jsonb`, updated_at: now })
    .where('id', '=', referral.id)
    .execute();
  return null;
}

/**
 * Money that goes back (refund, reversal, dispute, void) takes the commission with it, also out
 * of a payout not sent yet; after a payout was paid it can only be noted.
 */
export async function clawBackReferral(trx: DbExecutor, invoiceId: number, undoneBy: SaleUndoingStatus): Promise<void> {
  const reason = CLAWBACK_REASONS[undoneBy];
  const referral = await releasedReferral(trx, invoiceId, `${reason} after the payout`);
  if (!referral) return;
  const now = new Date();
  await trx
    .updateTable('affiliate_referrals')
    .set({
      voided_at: now,
      void_reason: reason,
      timeline: sql`timeline || ${timelineEntry('VOIDED', now, reason)}::jsonb`,
      updated_at: now,
    })
    .where('id', '=', referral.id)
    .execute();
}

/**
 * A partial refund leaves the order paid but the commission too high: an accepted referral not
 * yet paid out goes back to IN_REVIEW (and out of a due payout) for the seller to decide.
 */
export async function reviewPartiallyRefundedReferral(trx: DbExecutor, invoiceId: number, refundedCents: number): Promise<void> {
  const referral = await trx
    .selectFrom('affiliate_referrals')
    .select(['id', 'status', 'payout_id', 'voided_at', 'commission_cents'])
    .where('invoice_id', '=', invoiceId)
    .forUpdate()
    .executeTakeFirst();
  if (!referral || referral.voided_at || referral.status !== 'ACCEPTED') return;
  if (!(await releaseFromDuePayout(trx, referral))) return;
  const now = new Date();
  await trx
    .updateTable('affiliate_referrals')
    .set({
      status: 'IN_REVIEW',
      timeline: sql`timeline || ${timelineEntry('IN_REVIEW', now, `order partially refunded (${refundedCents} cents)`)}::jsonb`,
      updated_at: now,
    })
    .where('id', '=', referral.id)
    .execute();
}

/** A dispute the seller won gives the commission back, unless it was voided for another reason. */
export async function restoreReferral(trx: DbExecutor, invoiceId: number): Promise<void> {
  const now = new Date();
  await trx
    .updateTable('affiliate_referrals')
    .set({
      voided_at: null,
      void_reason: null,
      timeline: sql`timeline || ${timelineEntry('RESTORED', now, 'dispute won')}::jsonb`,
      updated_at: now,
    })
    .where('invoice_id', '=', invoiceId)
    .where('void_reason', '=', 'disputed')
    .where('payout_id', 'is', null)
    .execute();
}

/**
 * A partial refund by amount keeps the sale but not all of its money: the commission not yet
 * paid out shrinks in proportion (and leaves a due payout, which is recomputed when it is next
 * built); one already paid out can only be noted.
 */
export async function clawBackCommissionShare(
  trx: DbExecutor,
  invoiceId: number,
  refund: { keptBeforeCents: number; refundCents: number },
): Promise<void> {
  const referral = await releasedReferral(trx, invoiceId, `partially refunded (${refund.refundCents} cents) after the payout`);
  if (!referral) return;
  const now = new Date();
  const note = (text: string) => sql<string>`timeline || ${timelineEntry('NOTE', now, text)}::jsonb`;
  const commission = commissionAfterRefund(referral.commission_cents, refund.keptBeforeCents, refund.refundCents);
  await trx
    .updateTable('affiliate_referrals')
    .set({
      commission_cents: commission,
      timeline: note(`partially refunded (${refund.refundCents} cents): commission ${referral.commission_cents} → ${commission} cents`),
      updated_at: now,
    })
    .where('id', '=', referral.id)
    .execute();
}
