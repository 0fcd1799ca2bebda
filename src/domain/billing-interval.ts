/** Subscription periods: every N days, weeks, months or years, at most one year. */
export const BILLING_INTERVALS = ['DAY', 'WEEK', 'MONTH', 'YEAR'] as const;
export type BillingInterval = (typeof BILLING_INTERVALS)[number];

const MAX_PER_INTERVAL: Record<BillingInterval, number> = { DAY: 365, WEEK: 52, MONTH: 12, YEAR: 1 };

export function maxCount(interval: BillingInterval): number {
  return MAX_PER_INTERVAL[interval];
}

export function isWithinOneYear(value: number, interval: BillingInterval): boolean {
  return Number.isInteger(value) && value >= 1 && value <= MAX_PER_INTERVAL[interval];
}

/** Accepts SellApp's singular enum and the common plural / lower-case spellings. */
export function normaliseInterval(raw: string): BillingInterval | null {
  const upper = raw.trim().toUpperCase().replace(/S$/, '').replace(/LY$/, '');
  const aliases: Record<string, BillingInterval> = { DAY: 'DAY', DAI: 'DAY', WEEK: 'WEEK', MONTH: 'MONTH', YEAR: 'YEAR' };
  return aliases[upper] ?? null;
}

/** The end of a period of `count` intervals from `start` (calendar months and years, in UTC). */
export function addInterval(start: Date, interval: BillingInterval, count: number): Date {
  const end = new Date(start.getTime());
  if (interval === 'DAY') end.setUTCDate(end.getUTCDate() + count);
  else if (interval === 'WEEK') end.setUTCDate(end.getUTCDate() + 7 * count);
  else if (interval === 'MONTH') end.setUTCMonth(end.getUTCMonth() + count);
  else end.setUTCFullYear(end.getUTCFullYear() + count);
  return end;
}
