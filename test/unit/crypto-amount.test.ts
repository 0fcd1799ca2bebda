import { amountStep, cryptoAmountFor, formatSmallestUnits, parseSmallestUnits, uniqueAmount } from '../../src/domain/crypto-amount';

describe('cryptoAmountFor', () => {
  it('converts exactly when the division is exact', () => {
    // $15.00 at $50,000/BTC = 0.0003 BTC = 30,000 sat.
    expect(cryptoAmountFor(1500, '50000', 8)).toBe(30_000n);
    // $30.00 at $3,000/ETH = 0.01 ETH.
    expect(cryptoAmountFor(3000, '3000', 18)).toBe(10_000_000_000_000_000n);
    // $1.00 of a $1.00 6-decimal stablecoin.
    expect(cryptoAmountFor(100, '1', 6)).toBe(1_000_000n);
  });

  it('rounds up to the next smallest unit', () => {
    // $10.00 at $30,000/BTC = 33,333.33… sat → 33,334.
    expect(cryptoAmountFor(1000, '30000', 8)).toBe(33_334n);
    // $0.01 at $3/coin with 0 decimals is a third of a unit → 1.
    expect(cryptoAmountFor(1, '3', 0)).toBe(1n);
    // A rate with more decimals than the coin: $1.00 at 0.0000123 $/coin (SHIB-like, 18 decimals).
    expect(cryptoAmountFor(100, '0.0000123', 18)).toBe(81_300_813_008_130_081_300_814n);
  });

  it('takes exponent notation and other fiat exponents', () => {
    expect(cryptoAmountFor(100, '1.23e-5', 18)).toBe(cryptoAmountFor(100, '0.0000123', 18));
    expect(cryptoAmountFor(1500, '5E4', 8)).toBe(30_000n);
    // ¥1,500 (0-decimal currency) at ¥7,500,000/BTC = 0.0002 BTC.
    expect(cryptoAmountFor(1500, '7500000', 8, 0)).toBe(20_000n);
  });

  it('stays exact far beyond float precision', () => {
    const cents = 9_007_199_254_740_993n; // 2^53 + 1
    expect(cryptoAmountFor(cents, '1', 18)).toBe(cents * 10n ** 16n);
    expect(cryptoAmountFor(0, '50000', 8)).toBe(0n);
  });

  it('refuses bad rates and amounts', () => {
    for (const rate of ['0', '0.000', '-1', '', 'abc', '1,5', '.5', 'NaN', 'Infinity', '1e999']) {
      expect(() => cryptoAmountFor(100, rate, 8)).toThrow(RangeError);
    }
    expect(() => cryptoAmountFor(-1, '1', 8)).toThrow(RangeError);
    expect(() => cryptoAmountFor(1.5, '1', 8)).toThrow(RangeError);
    expect(() => cryptoAmountFor(100, '1', 8.5)).toThrow(RangeError);
  });
});

describe('formatSmallestUnits and parseSmallestUnits', () => {
  it('formats with every decimal', () => {
    expect(formatSmallestUnits(30_000n, 8)).toBe('0.00030000');
    expect(formatSmallestUnits(123_456_789n, 8)).toBe('1.23456789');
    expect(formatSmallestUnits(0n, 6)).toBe('0.000000');
    expect(formatSmallestUnits(42n, 0)).toBe('42');
    expect(formatSmallestUnits(-5n, 2)).toBe('-0.05');
    expect(formatSmallestUnits(10n ** 18n, 18)).toBe('1.000000000000000000');
  });

  it('parses what it formats, and shorter fractions', () => {
    for (const [amount, decimals] of [
      [30_000n, 8],
      [1n, 18],
      [81_300_813_008_130_081_300_814n, 18],
      [0n, 12],
      [-7n, 6],
      [99n, 0],
    ] as const) {
      expect(parseSmallestUnits(formatSmallestUnits(amount, decimals), decimals)).toBe(amount);
    }
    expect(parseSmallestUnits('0.0003', 8)).toBe(30_000n);
    expect(parseSmallestUnits('12', 6)).toBe(12_000_000n);
  });

  it('refuses more decimals than the coin has and anything not a plain decimal', () => {
    expect(() => parseSmallestUnits('0.000000001', 8)).toThrow(RangeError);
    for (const text of ['', '.5', '1.', '1e8', '0x10', '1,5', '+1']) expect(() => parseSmallestUnits(text, 8)).toThrow(RangeError);
  });
});

describe('uniqueAmount', () => {
  const step = amountStep(18); // 10^12 wei = 0.000001 ETH

  it('uses a 6-decimal grid', () => {
    expect(amountStep(18)).toBe(10n ** 12n);
    expect(amountStep(9)).toBe(1000n);
    expect(amountStep(6)).toBe(1n);
    expect(amountStep(0)).toBe(1n);
  });

  it('rounds the base up onto the grid when nothing is open', () => {
    // 0.010000000000000001 ETH is quoted as 0.010001 ETH.
    expect(uniqueAmount(10_000_000_000_000_000n, [], step)).toBe(10_000_000_000_000_000n);
    expect(uniqueAmount(10_000_000_000_000_001n, [], step)).toBe(10_001_000_000_000_000n);
  });

  it('steps past every open amount it collides with, and only upwards', () => {
    const base = 10_000_000_000_000_000n;
    const open = [base, base + step, base + 3n * step, base - step];
    expect(uniqueAmount(base, open, step)).toBe(base + 2n * step);
    expect(uniqueAmount(base, new Set([...open, base + 2n * step]), step)).toBe(base + 4n * step);
  });

  it('ignores open amounts off the grid or below the base', () => {
    const base = 1_000_000n;
    expect(uniqueAmount(base, [base + 1n, base - 1n], 1000n)).toBe(base);
  });

  it('gives distinct amounts to many invoices quoted at the same price', () => {
    const open: bigint[] = [];
    for (let i = 0; i < 50; i++) open.push(uniqueAmount(25_000_000n, open, 1n));
    expect(new Set(open).size).toBe(50);
    expect(open.at(-1)).toBe(25_000_049n);
  });

  it('refuses a non-positive step or a negative base', () => {
    expect(() => uniqueAmount(1n, [], 0n)).toThrow(RangeError);
    expect(() => uniqueAmount(-1n, [], 1n)).toThrow(RangeError);
  });
});
