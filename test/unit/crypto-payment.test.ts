import { acceptedUnits, nextCryptoStep, percentageToBasisPoints, tallyPayment } from '../../src/domain/crypto-payment';

const expiresAt = new Date('2026-05-01T12:00:00Z');
const before = new Date('2026-05-01T11:00:00Z');
const after = new Date('2026-05-01T13:00:00Z');
const tx = (amount: bigint, confirmations: number, firstSeenAt = before, dropped = false) => ({
  amount,
  confirmations,
  firstSeenAt,
  dropped,
});

describe('crypto payment progress', () => {
  it('waits, then settles once what was paid in time is confirmed deeply enough', () => {
    expect(nextCryptoStep(tallyPayment([], 1000n, 2, expiresAt), before, expiresAt)).toEqual({ kind: 'wait', status: 'AWAITING' });
    expect(nextCryptoStep(tallyPayment([tx(1000n, 1)], 1000n, 2, expiresAt), before, expiresAt)).toEqual({
      kind: 'wait',
      status: 'CONFIRMING',
    });
    expect(nextCryptoStep(tallyPayment([tx(1000n, 2)], 1000n, 2, expiresAt), before, expiresAt)).toEqual({ kind: 'settle', overpaid: 0n });
  });

  it('lets an underpayment be topped up before expiry, and counts the parts together', () => {
    expect(nextCryptoStep(tallyPayment([tx(400n, 5)], 1000n, 2, expiresAt), before, expiresAt)).toEqual({
      kind: 'wait',
      status: 'PARTIAL',
    });
    expect(nextCryptoStep(tallyPayment([tx(400n, 5), tx(600n, 2)], 1000n, 2, expiresAt), before, expiresAt)).toEqual({
      kind: 'settle',
      overpaid: 0n,
    });
  });

  it('records an overpayment', () => {
    expect(nextCryptoStep(tallyPayment([tx(1500n, 3)], 1000n, 2, expiresAt), before, expiresAt)).toEqual({
      kind: 'settle',
      overpaid: 500n,
    });
  });

  it('after expiry keeps waiting only for confirmations of a payment made in time', () => {
    expect(nextCryptoStep(tallyPayment([tx(1000n, 0)], 1000n, 2, expiresAt), after, expiresAt)).toEqual({
      kind: 'wait',
      status: 'CONFIRMING',
    });
    expect(nextCryptoStep(tallyPayment([], 1000n, 2, expiresAt), after, expiresAt)).toEqual({ kind: 'expire', status: 'EXPIRED' });
    expect(nextCryptoStep(tallyPayment([tx(999n, 9)], 1000n, 2, expiresAt), after, expiresAt)).toEqual({
      kind: 'expire',
      status: 'UNDERPAID',
    });
  });

  it('never settles with money first seen after the window, and keeps it apart', () => {
    const tally = tallyPayment([tx(400n, 9), tx(600n, 9, after)], 1000n, 2, expiresAt);
    expect(tally).toEqual({ requested: 1000n, seen: 400n, confirmed: 400n, seenLate: 600n });
    expect(nextCryptoStep(tally, after, expiresAt)).toEqual({ kind: 'expire', status: 'UNDERPAID' });
  });

  it('forgets a payment a reorg dropped, and counts confirmations that fell back', () => {
    expect(nextCryptoStep(tallyPayment([tx(1000n, 6, before, true)], 1000n, 2, expiresAt), before, expiresAt)).toEqual({
      kind: 'wait',
      status: 'AWAITING',
    });
    expect(nextCryptoStep(tallyPayment([tx(1000n, 1)], 1000n, 2, expiresAt), before, expiresAt)).toEqual({
      kind: 'wait',
      status: 'CONFIRMING',
    });
  });
});

describe('tolerated underpayment', () => {
  const expiresAt = new Date('2030-01-01T01:00:00Z');
  const before = new Date('2030-01-01T00:30:00Z');
  const tx = (amount: bigint, confirmations: number) => ({ amount, confirmations, firstSeenAt: before, dropped: false });

  it('settles a shortfall within the tolerance and waits on one beyond it', () => {
    expect(acceptedUnits(20_000n, 300)).toBe(19_400n);
    expect(nextCryptoStep(tallyPayment([tx(19_600n, 2)], 20_000n, 2, expiresAt), before, expiresAt, 300)).toEqual({
      kind: 'settle',
      overpaid: 0n,
    });
    expect(nextCryptoStep(tallyPayment([tx(19_600n, 2)], 20_000n, 2, expiresAt), before, expiresAt, 0)).toEqual({
      kind: 'wait',
      status: 'PARTIAL',
    });
    expect(nextCryptoStep(tallyPayment([tx(19_399n, 9)], 20_000n, 2, expiresAt), before, expiresAt, 300)).toEqual({
      kind: 'wait',
      status: 'PARTIAL',
    });
  });

  it('rounds the shortfall down and never tolerates more than half', () => {
    expect(acceptedUnits(999n, 100)).toBe(990n);
    expect(acceptedUnits(1_000n, 9_000)).toBe(500n);
    expect(percentageToBasisPoints(2.5)).toBe(250);
  });
});
