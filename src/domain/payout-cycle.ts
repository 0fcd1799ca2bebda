import { DateTime, IANAZone } from 'luxon';

/**
 * The affiliate payout cycle, without I/O: payouts are generated on the 1st and 15th of the
 * month in the store's time zone, from accepted referrals eligible by the cycle's cutoff,
 * for every affiliate whose balance reaches the store's minimum.
 */
export const PAYOUT_DAYS_OF_MONTH = [1, 15] as const;

export function isTimeZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

/** The calendar date (YYYY-MM-DD) of an instant in a time zone. */
export function cycleDateOf(instant: Date, timeZone: string): string {
  return DateTime.fromJSDate(instant, { zone: timeZone }).toISODate()!;
}

/** Midnight at the start of a cycle date in the store's zone: a scheduled cycle's cutoff. */
export function cycleStart(cycleDate: string, timeZone: string): Date {
  const day = DateTime.fromISO(cycleDate, { zone: timeZone });
  if (!day.isValid) throw new RangeError(`Not a date: ${cycleDate}`);
  return day.startOf('day').toJSDate();
}

export function isCycleDay(cycleDate: string): boolean {
  const day = DateTime.fromISO(cycleDate);
  return day.isValid && (PAYOUT_DAYS_OF_MONTH as readonly number[]).includes(day.day);
}

export interface PayableReferral {
  id: number;
  affiliateId: number;
  livemode: boolean;
  currency: string;
  commissionCents: number;
}

export interface PlannedPayout {
  affiliateId: number;
  livemode: boolean;
  currency: string;
  amountCents: number;
  referralIds: number[];
}

/**
 * One payout per affiliate (and mode and currency) whose eligible commissions add up to at
 * least the minimum; smaller balances wait for a later cycle.
 */
export function planPayouts(referrals: readonly PayableReferral[], minimumCents: number): PlannedPayout[] {
  const groups = new Map<string, PlannedPayout>();
  for (const r of referrals) {
    const key = `${r.affiliateId}:${r.livemode}:${r.currency}`;
    const group = groups.get(key) ?? {
      affiliateId: r.affiliateId,
      livemode: r.livemode,
      currency: r.currency,
      amountCents: 0,
      referralIds: [],
    };
    group.amountCents += r.commissionCents;
    group.referralIds.push(r.id);
    groups.set(key, group);
  }
  return [...groups.values()]
    .filter((p) => p.amountCents > 0 && p.amountCents >= minimumCents)
    .sort((a, b) => a.affiliateId - b.affiliateId || Number(b.livemode) - Number(a.livemode));
}
