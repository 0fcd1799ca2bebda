import type { Db, DbExecutor } from '../db/schema';
import type { AffiliateAction } from '../domain/affiliate-status';
import type { ReferralStatus } from '../domain/referral-status';
import { type AffiliateRow, loadAffiliate, reviewAffiliate } from './affiliates';
import { AffiliateConflictError, AffiliateNotFoundError } from './errors';
import { findOfficialPayout } from './official-views';
import { loadReferral, moveReferral } from './referrals';
import { payPayouts } from './store-payouts';

/**
 * The official API's status changes (`PATCH …/status` with the wanted status rather than an
 * action), each through the rule Sellflow's own routes use: affiliate review, referral moves,
 * payouts marked paid. Asking for the status a row already has changes nothing.
 */

export const OFFICIAL_AFFILIATE_STATUSES = ['active', 'disabled', 'rejected'] as const;
export type OfficialAffiliateStatus = (typeof OFFICIAL_AFFILIATE_STATUSES)[number];

/** Which review action reaches the wanted status from the current one, or null when already there. */
function actionFor(current: AffiliateRow['status'], wanted: OfficialAffiliateStatus): AffiliateAction | null {
  if (wanted === 'active') {
    if (current === 'ACTIVE') return null;
    // Pending applications are approved; disabled or rejected affiliates enabled again.
    return current === 'PENDING' ? 'approve' : 'enable';
  }
  if (wanted === 'disabled') return current === 'DISABLED' ? null : 'disable';
  return current === 'REJECTED' ? null : 'reject';
}

export async function setAffiliateStatus(trx: DbExecutor, storeId: number, id: number, wanted: OfficialAffiliateStatus) {
  const affiliate = await loadAffiliate(trx, storeId, id, { lock: true });
  if (affiliate.status === 'INVITED')
    throw new AffiliateConflictError('invitation_pending', 'An invited affiliate must submit the application before review', 'status');
  const action = actionFor(affiliate.status, wanted);
  return action ? reviewAffiliate(trx, storeId, id, action) : affiliate;
}

export const OFFICIAL_REFERRAL_STATUSES = ['accepted', 'in_review', 'rejected'] as const;
export type OfficialReferralStatus = (typeof OFFICIAL_REFERRAL_STATUSES)[number];

/** Accept, review or reject one referral of the caller's mode (a rejected one stays rejected). */
export async function setReferralStatus(db: Db, storeId: number, livemode: boolean, id: number, wanted: OfficialReferralStatus) {
  return db.transaction().execute(async (trx) => {
    const referral = await loadReferral(trx, storeId, id);
    if (referral.livemode !== livemode) throw new AffiliateNotFoundError('Referral');
    return moveReferral(trx, storeId, id, wanted.toUpperCase() as ReferralStatus);
  });
}

export const OFFICIAL_PAYOUT_STATUSES = ['due', 'paid'] as const;
export type OfficialPayoutStatus = (typeof OFFICIAL_PAYOUT_STATUSES)[number];

/**
 * Marks a payout paid (the seller sent the money elsewhere; Sellflow moves none), once however
 * often it is asked. A paid payout is final: asking for `due` again is refused, as the
 * referral rules treat its referrals as paid out.
 */
export async function setPayoutStatus(db: Db, storeId: number, livemode: boolean, id: number, wanted: OfficialPayoutStatus) {
  const payout = await findOfficialPayout(db, storeId, livemode, id);
  if (wanted === 'due') {
    if (payout.status === 'PAID')
      throw new AffiliateConflictError('payout_paid', 'This payout was marked paid; its status is final', 'status');
    return payout;
  }
  if (payout.status === 'DUE') await payPayouts(db, storeId, livemode, [id]);
  return findOfficialPayout(db, storeId, livemode, id);
}
