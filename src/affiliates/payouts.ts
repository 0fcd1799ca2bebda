import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';
import { planPayouts } from '../domain/payout-cycle';
import { recordEvent } from '../events/record';
import type { PayoutCycleReport } from '../temporal/contracts/affiliates';
import { AffiliateNotFoundError } from './errors';
import { loadProgram } from './program';

export interface PayoutCycleRequest {
  storeId: number;
  /** YYYY-MM-DD in the store's time zone: the cycle's identity. */
  cycleDate: string;
  /** Referrals eligible by this instant are paid. */
  cutoff: Date;
  trigger: 'schedule' | 'manual' | 'backfill';
}

/**
 * One payout cycle, in one transaction: the cycle row is claimed first (a second run of the
 * same date waits on it, then finds it taken and creates nothing), then every accepted,
 * eligible, unvoided referral not yet paid out is grouped per affiliate; balances that reach
 * the store's minimum become DUE payouts holding their referrals, and the store is told.
 */
export async function runPayoutCycle(trx: DbExecutor, request: PayoutCycleRequest): Promise<PayoutCycleReport> {
  const claimed = await trx
    .insertInto('affiliate_payout_cycles')
    .values({
      store_id: request.storeId,
      cycle_date: request.cycleDate,
      cutoff: request.cutoff,
      trigger: request.trigger,
      payouts_created: 0,
    })
    .onConflict((oc) => oc.constraint('affiliate_payout_cycles_uq').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!claimed) return cycleReport(trx, request.storeId, request.cycleDate);

  const program = await loadProgram(trx, request.storeId);
  const payable = await trx
    .selectFrom('affiliate_referrals as r')
    .innerJoin('affiliates as a', 'a.id', 'r.affiliate_id')
    .select(['r.id', 'r.affiliate_id', 'r.livemode', 'r.currency', 'r.commission_cents'])
    .where('r.store_id', '=', request.storeId)
    .where('r.status', '=', 'ACCEPTED')
    .where('r.payout_id', 'is', null)
    .where('r.voided_at', 'is', null)
    .where('r.eligible_at', '<=', request.cutoff)
    // A disabled affiliate's balance waits until they are enabled again.
    .where('a.status', '=', 'ACTIVE')
    .orderBy('r.id')
    .forUpdate()
    .execute();
  const planned = planPayouts(
    payable.map((r) => ({
      id: r.id,
      affiliateId: r.affiliate_id,
      livemode: r.livemode,
      currency: r.currency,
      commissionCents: r.commission_cents,
    })),
    program.minimum_payout_cents,
  );

  const at = new Date();
  for (const payout of planned) {
    const affiliate = await trx
      .selectFrom('affiliates')
      .select(['payout_method', 'payout_details_sealed'])
      .where('id', '=', payout.affiliateId)
      .executeTakeFirstOrThrow();
    const row = await trx
      .insertInto('affiliate_payouts')
      .values({
        store_id: request.storeId,
        affiliate_id: payout.affiliateId,
        cycle_id: claimed.id,
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
    await trx
      .updateTable('affiliate_referrals')
      .set({ payout_id: row.id, timeline: sql`timeline || ${entry}::jsonb`, updated_at: at })
      .where('id', 'in', payout.referralIds)
      .execute();
  }
  await trx.updateTable('affiliate_payout_cycles').set({ payouts_created: planned.length }).where('id', '=', claimed.id).execute();

  for (const livemode of [true, false]) {
    const mine = planned.filter((p) => p.livemode === livemode);
    if (mine.length === 0) continue;
    const totals: Record<string, number> = {};
    for (const p of mine) totals[p.currency] = (totals[p.currency] ?? 0) + p.amountCents;
    await recordEvent(trx, {
      storeId: request.storeId,
      livemode,
      type: 'affiliate.payouts_created',
      data: { cycle_date: request.cycleDate, payouts: mine.length, total_cents: totals },
    });
  }
  return cycleReport(trx, request.storeId, request.cycleDate, true);
}

export async function cycleReport(db: DbExecutor, storeId: number, cycleDate: string, created = false): Promise<PayoutCycleReport> {
  const cycle = await db
    .selectFrom('affiliate_payout_cycles')
    .selectAll()
    .where('store_id', '=', storeId)
    .where('cycle_date', '=', cycleDate)
    .executeTakeFirst();
  if (!cycle) throw new AffiliateNotFoundError('Payout cycle');
  const payouts = await db
    .selectFrom('affiliate_payouts as p')
    .select(['p.id', 'p.affiliate_id', 'p.amount_cents', 'p.currency', 'p.livemode'])
    .select((eb) =>
      eb
        .selectFrom('affiliate_referrals as r')
        .whereRef('r.payout_id', '=', 'p.id')
        .select((e) => e.fn.countAll<number>().as('n'))
        .as('referrals'),
    )
    .where('p.cycle_id', '=', cycle.id)
    .orderBy('p.id')
    .execute();
  return {
    cycle_id: cycle.id,
    cycle_date: cycle.cycle_date,
    cutoff: cycle.cutoff.toISOString(),
    trigger: cycle.trigger,
    created,
    payouts: payouts.map((p) => ({ ...p, referrals: Number(p.referrals) })),
  };
}

/** Marks payouts paid (the seller sent the money elsewhere); paying one twice changes nothing. */
export async function markPayoutsPaid(trx: DbExecutor, storeId: number, livemode: boolean, ids: number[]): Promise<void> {
  const found = await trx
    .selectFrom('affiliate_payouts')
    .select('id')
    .where('store_id', '=', storeId)
    .where('livemode', '=', livemode)
    .where('id', 'in', ids)
    .forUpdate()
    .execute();
  const missing = ids.filter((id) => !found.some((f) => f.id === id));
  if (missing.length > 0) throw new AffiliateNotFoundError(`Payout ${missing.join(', ')}`);
  await trx
    .updateTable('affiliate_payouts')
    .set({ status: 'PAID', paid_at: new Date() })
    .where('id', 'in', ids)
    .where('status', '=', 'DUE')
    .execute();
}
