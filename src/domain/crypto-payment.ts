/**
 * A crypto payment's progress, without I/O: what the chain reported about an invoice's address,
 * set against the quoted amount, the confirmations required and the payment window.
 * AWAITING: nothing seen. PARTIAL: less than asked (the customer can top up until expiry).
 * CONFIRMING: enough seen, not yet deep enough. PAID: enough confirmed. EXPIRED / UNDERPAID:
 * the window closed with nothing / too little. LATE_PAYMENT: money that came too late, or a
 * payment the invoice could no longer take, waiting for a person.
 */
export const CRYPTO_PAYMENT_STATUSES = ['AWAITING', 'PARTIAL', 'CONFIRMING', 'PAID', 'EXPIRED', 'UNDERPAID', 'LATE_PAYMENT'] as const;
export type CryptoPaymentStatus = (typeof CRYPTO_PAYMENT_STATUSES)[number];

export interface ObservedPayment {
  amount: bigint;
  confirmations: number;
  firstSeenAt: Date;
  /** The chain no longer reports it (reorged out, evicted from the mempool). */
  dropped: boolean;
}

export interface CryptoTally {
  requested: bigint;
  /** Paid inside the window: what the invoice can be settled with. */
  seen: bigint;
  confirmed: bigint;
  /** First seen after the window closed: for a person to look at. */
  seenLate: bigint;
}

export function tallyPayment(
  payments: readonly ObservedPayment[],
  requested: bigint,
  requiredConfirmations: number,
  expiresAt: Date,
): CryptoTally {
  const tally: CryptoTally = { requested, seen: 0n, confirmed: 0n, seenLate: 0n };
  for (const p of payments) {
    if (p.dropped) continue;
    if (p.firstSeenAt.getTime() > expiresAt.getTime()) {
      tally.seenLate += p.amount;
      continue;
    }
    tally.seen += p.amount;
    if (p.confirmations >= requiredConfirmations) tally.confirmed += p.amount;
  }
  return tally;
}

export type CryptoStep =
  | { kind: 'settle'; overpaid: bigint }
  | { kind: 'wait'; status: 'AWAITING' | 'PARTIAL' | 'CONFIRMING' }
  | { kind: 'expire'; status: 'EXPIRED' | 'UNDERPAID' };

/** Largest tolerated underpayment: 10,000 basis points would accept nothing at all. */
export const MAX_UNDERPAID_TOLERANCE_BP = 5_000;

/**
 * The least that counts as paid: the quote less the store's tolerated shortfall (basis points),
 * rounded in the seller's favour (the shortfall down, never the amount asked).
 */
export function acceptedUnits(requested: bigint, underpaidToleranceBp: number): bigint {
  const bp = BigInt(Math.min(Math.max(0, Math.trunc(underpaidToleranceBp)), MAX_UNDERPAID_TOLERANCE_BP));
  return requested - (requested * bp) / 10_000n;
}

/** A percentage as given by a seller (0–50, two decimals at most) in basis points. */
export function percentageToBasisPoints(percentage: number): number {
  return Math.round(percentage * 100);
}

/**
 * Settle once what was paid in time is confirmed deeply enough; until the window closes, wait
 * (a partial payment can be topped up); after it, keep waiting only for the confirmations of a
 * payment made in time, and otherwise expire.
 */
export function nextCryptoStep(tally: CryptoTally, now: Date, expiresAt: Date, underpaidToleranceBp = 0): CryptoStep {
  const enough = acceptedUnits(tally.requested, underpaidToleranceBp);
  if (tally.confirmed >= enough) return { kind: 'settle', overpaid: tally.seen > tally.requested ? tally.seen - tally.requested : 0n };
  if (tally.seen >= enough) return { kind: 'wait', status: 'CONFIRMING' };
  if (now.getTime() < expiresAt.getTime()) return { kind: 'wait', status: tally.seen === 0n ? 'AWAITING' : 'PARTIAL' };
  return { kind: 'expire', status: tally.seen === 0n ? 'EXPIRED' : 'UNDERPAID' };
}
