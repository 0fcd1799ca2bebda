import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';
import { canMoveReferral, type ReferralStatus } from '../domain/referral-status';
import { AffiliateConflictError, AffiliateNotFoundError } from './errors';

export const timelineEntry = (status: string, at: Date, note?: string) =>
  JSON.stringify([{ status, at: at.toISOString(), ...(note ? { note } : {}) }]);

/**
 * Takes a referral out of its payout while that payout is still DUE (the store has not sent
 * the money): the payout shrinks by the commission, or goes when nothing is left. A PAID
 * payout cannot be changed: false.
 */
export async function releaseFromDuePayout(
  trx: DbExecutor,
  referral: { id: number; payout_id: number | null; commission_cents: number },
): Promise<boolean> {
  if (referral.payout_id === null) return true;
  const payout = await trx
    .selectFrom('affiliate_payouts')
    .select(['id', 'status', 'amount_cents'])
    .where('id', '=', referral.payout_id)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (payout.status !== 'DUE') return false;
  const now = new Date();
  await trx
    .updateTable('affiliate_referrals')
    .set({
      payout_id: null,
      timeline: sql`timeline || ${timelineEntry('NOTE', now, `taken out of payout ${payout.id}`)}::jsonb`,
      updated_at: now,
    })
    .where('id', '=', referral.id)
    .execute();
  const left = payout.amount_cents - referral.commission_cents;
  if (left > 0) await trx.updateTable('affiliate_payouts').set({ amount_cents: left }).where('id', '=', payout.id).execute();
  else await trx.deleteFrom('affiliate_payouts').where('id', '=', payout.id).execute();
  return true;
}

export async function loadReferral(db: DbExecutor, storeId: number, id: number, options: { lock?: boolean } = {}) {
  let query = db.selectFrom('affiliate_referrals').selectAll().where('store_id', '=', storeId).where('id', '=', id);
  if (options.lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw new AffiliateNotFoundError('Referral');
  return row;
}

/** The seller accepts, reviews or rejects; a rejected or paid-out referral stays as it is. */
export async function moveReferral(trx: DbExecutor, storeId: number, id: number, to: ReferralStatus) {
  const referral = await loadReferral(trx, storeId, id, { lock: true });
  if (referral.status === to) return referral;
  if (!canMoveReferral(referral.status, to))
    throw new AffiliateConflictError('invalid_status', `A ${referral.status} referral cannot become ${to}`, 'status');
  if (to === 'ACCEPTED' && referral.voided_at)
    throw new AffiliateConflictError(
      'referral_voided',
      `This referral's order was ${referral.void_reason}; it cannot be accepted`,
      'status',
    );
  // Reviewing or rejecting an accepted referral takes it out of a payout the store has not paid.
  if (!(await releaseFromDuePayout(trx, referral)))
    throw new AffiliateConflictError('referral_paid_out', 'This referral was paid out; its status is final', 'status');
  const now = new Date();
  return trx
    .updateTable('affiliate_referrals')
    .set({ status: to, timeline: sql`timeline || ${timelineEntry(to, now)}::jsonb`, updated_at: now })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export interface ReferralFilter {
  status?: ReferralStatus;
  affiliate_id?: number;
  payout_id?: number;
  voided?: boolean;
}

/** A store's referrals of one mode, filtered as the referrals dashboard does; nothing selected yet. */
export function storeReferrals(db: DbExecutor, storeId: number, livemode: boolean, filter: ReferralFilter) {
  let base = db.selectFrom('affiliate_referrals').where('store_id', '=', storeId).where('livemode', '=', livemode);
  if (filter.status) base = base.where('status', '=', filter.status);
  if (filter.affiliate_id) base = base.where('affiliate_id', '=', filter.affiliate_id);
  if (filter.payout_id) base = base.where('payout_id', '=', filter.payout_id);
  if (filter.voided !== undefined) base = base.where('voided_at', filter.voided ? 'is not' : 'is', null);
  return base;
}
