/**
 * Refund amounts: the spec sends a decimal in the order's currency ("12.50"), we keep minor
 * units. What a refund may take is what was paid minus what earlier refunds took.
 */
import { currencyDecimals } from './currency-minor-units';

/** "12.5" USD → 1250; null when it is not a positive amount with at most the currency's decimals. */
export function parseMajorAmount(amount: string, currency: string): number | null {
  const decimals = currencyDecimals(currency);
  const match = /^(\d{1,12})(?:\.(\d+))?$/.exec(amount.trim());
  if (!match) return null;
  const fraction = match[2] ?? '';
  if (fraction.length > decimals) return null;
  const minor = Number(match[1]) * 10 ** decimals + Number(fraction.padEnd(decimals, '0') || '0');
  return Number.isSafeInteger(minor) && minor > 0 ? minor : null;
}

/** What is left to refund of `paidCents` after `refundedCents` went back (never negative). */
export function refundableCents(paidCents: number, refundedCents: number): number {
  return Math.max(0, paidCents - refundedCents);
}

/**
 * The commission left after a partial refund: it shrinks with the money, in proportion to what
 * was still paid before this refund (so successive refunds compose to commission × kept / paid).
 */
export function commissionAfterRefund(commissionCents: number, keptBeforeCents: number, refundCents: number): number {
  if (keptBeforeCents <= 0) return 0;
  const keptAfter = Math.max(0, keptBeforeCents - refundCents);
  return Math.round((commissionCents * keptAfter) / keptBeforeCents);
}
