import type { PayoutCycleReport } from '../temporal/contracts/affiliates';
import { cycleDateOf, isCycleDay } from '../domain/payout-cycle';
import { startPayoutCycle } from './affiliate-workflow-client';
import { AffiliateRuleError } from './errors';
import { assertPayoutTimeZone, type ScheduleEngine, storeTimeZone } from './program-setup';

/** A cycle is one transaction and normally answers at once; past this, the caller hears it is still running. */
const REPLY_WITHIN_MS = 20_000;

/**
 * Runs the store's payout cycle now (no date), or backfills a missed 1st or 15th; null when it
 * has not answered within 20 s (no worker running, say).
 */
export async function runPayoutCycleNow(engine: ScheduleEngine, storeId: number, date?: string): Promise<PayoutCycleReport | null> {
  const timeZone = await storeTimeZone(engine.db, storeId);
  assertPayoutTimeZone(timeZone);
  const now = new Date();
  const today = cycleDateOf(now, timeZone);
  if (date && date > today) throw new AffiliateRuleError('invalid_field', `${date} has not come yet in ${timeZone}`, 'date');
  if (date && date !== today && !isCycleDay(date))
    throw new AffiliateRuleError('not_a_cycle_day', 'A backfilled cycle is a 1st or 15th of the month', 'date');
  const handle = await startPayoutCycle(engine.client, engine.taskQueue, {
    storeId,
    trigger: date && date !== today ? 'backfill' : 'manual',
    cycleDate: date ?? today,
    at: now.toISOString(),
  });
  return Promise.race([handle.result(), new Promise<null>((resolve) => setTimeout(() => resolve(null), REPLY_WITHIN_MS))]);
}
