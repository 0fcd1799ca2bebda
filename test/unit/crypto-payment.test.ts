import { nextCryptoStep, tallyPayment } from '../../src/domain/crypto-payment';

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
