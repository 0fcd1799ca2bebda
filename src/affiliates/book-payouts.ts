import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';
import { type PlannedPayout, planPayouts } from '../domain/payout-cycle';
import { recordEvent } from '../events/record';

export interface PayoutBooking {
  storeId: number;
  /** The cycle the payouts belong to; null for a payout asked for one affiliate. */
  cycleId: number | null;
  /** Referrals eligible by this instant are paid. */
  cutoff: Date;
  minimumCents: number;
  /** Only this affiliate's referrals, in this mode (the on-demand payout); else every affiliate's. */
  only?: { affiliateId: number; livemode: boolean };
}

export interface BookedPayout extends PlannedPayout {
  id: number;
}

/**
 * Books accepted, eligible, unvoided referrals not yet paid out into DUE payouts, one per
 * affiliate, mode and currency, inside the caller's transaction. The referrals are locked
 * first (FOR UPDATE, re-checked against `payout_id is null` once a concurrent booking commits),
 * so the payout cycle and an on-demand payout can never both book one referral.
 */
export async function bookPayouts(trx: DbExecutor, booking: PayoutBooking): Promise<BookedPayout[]> {
  let payableQuery = trx
    .selectFrom('affiliate_referrals as r')
    .innerJoin('affiliates as a', 'a.id', 'r.affiliate_id')
    .select(['r.id', 'r.affiliate_id', 'r.livemode', 'r.currency', 'r.commission_cents'])
    .where('r.store_id', '=', booking.storeId)
    .where('r.status', '=', 'ACCEPTED')
    .where('r.payout_id', 'is', null)
    .where('r.voided_at', 'is', null)
    .where('r.eligible_at', '<=', booking.cutoff)
    // A disabled affiliate's balance waits until they are enabled again.
    .where('a.status', '=', 'ACTIVE');
  if (booking.only) {
    payableQuery = payableQuery.where('r.affiliate_id', '=', booking.only.affiliateId).where('r.livemode', '=', booking.only.livemode);
  }
  const payable = await payableQuery.orderBy('r.id').forUpdate(['r']).execute();
  const planned = planPayouts(
    payable.map((r) => ({
      id: r.id,
      affiliateId: r.affiliate_id,
      livemode: r.livemode,
      currency: r.currency,
      commissionCents: r.commission_cents,
    })),
    booking.minimumCents,
  );

  const at = new Date();
  const booked: BookedPayout[] = [];
  for (const payout of planned) {
    const affiliate = await trx
      .selectFrom('affiliates')
      .select(['payout_method', 'payout_details_sealed'])
      .where('id', '=', payout.affiliateId)
      .executeTakeFirstOrThrow();
    const row = await trx
      .insertInto('affiliate_payouts')
      .values({
        store_id: booking.storeId,
        affiliate_id: payout.affiliateId,
        cycle_id: booking.cycleId,
        livemode: payout.livemode,
        amount_cents: payout.amountCents,
        currency: payout.currency,
        // The details at payout time: a later change applies to later payouts.
        payout_method: affiliate.payout_method,
        payout_details_sealed: affiliate.payout_details_sealed,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const entry = JSON.stringify([{ status: 'PAYOUT', at: at.toISOString(), note: `payout ${row.id}` }]);
    const moved = await trx
      .updateTable('affiliate_referrals')
      .set({ payout_id: row.id, timeline: sql`timeline || ${entry}::jsonb`, updated_at: at })
      .where('id', 'in', payout.referralIds)
      .where('payout_id', 'is', null)
      .executeTakeFirst();
    // The locks make this impossible; if it ever happens, the whole booking rolls back rather than pay twice.
    if (Number(moved.numUpdatedRows) !== payout.referralIds.length) throw new Error(`Referrals of payout ${row.id} were booked elsewhere`);
    booked.push({ ...payout, id: row.id });
  }
  return booked;
}

/** Tells the store (its event log and webhooks) about new payouts, one event a mode. */
export async function announcePayouts(trx: DbExecutor, storeId: number, booked: readonly PlannedPayout[], data: object): Promise<void> {
  for (const livemode of [true, false]) {
    const mine = booked.filter((p) => p.livemode === livemode);
    if (mine.length === 0) continue;
    const totals: Record<string, number> = {};
    for (const p of mine) totals[p.currency] = (totals[p.currency] ?? 0) + p.amountCents;
    await recordEvent(trx, {
      storeId,
      livemode,
      type: 'affiliate.payouts_created',
      data: { ...data, payouts: mine.length, total_cents: totals },
    });
  }
}
