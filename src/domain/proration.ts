/**
 * The unused share of a payment at `at`, in cents, rounded down (never refund more than
 * was unused). BigInt keeps cents × milliseconds exact for any realistic amount.
 */
export function proratedRefundCents(amountCents: number, periodStart: Date, periodEnd: Date, at: Date): number {
  if (!Number.isInteger(amountCents) || amountCents < 0) throw new RangeError('amountCents must be a non-negative integer');
  const total = BigInt(periodEnd.getTime() - periodStart.getTime());
  if (total <= 0n) return 0;
  const unused = BigInt(Math.min(Math.max(periodEnd.getTime() - at.getTime(), 0), periodEnd.getTime() - periodStart.getTime()));
  return Number((BigInt(amountCents) * unused) / total);
}
