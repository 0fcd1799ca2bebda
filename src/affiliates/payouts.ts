import type { DbExecutor } from '../db/schema';
import type { PayoutCycleReport } from '../temporal/contracts/affiliates';
import { announcePayouts, bookPayouts } from './book-payouts';
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
  const booked = await bookPayouts(trx, {
    storeId: request.storeId,
    cycleId: claimed.id,
    cutoff: request.cutoff,
    minimumCents: program.minimum_payout_cents,
  });
  await trx.updateTable('affiliate_payout_cycles').set({ payouts_created: booked.length }).where('id', '=', claimed.id).execute();
  await announcePayouts(trx, request.storeId, booked, { cycle_date: request.cycleDate });
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
