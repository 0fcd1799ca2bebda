import { proratedRefundCents } from '../../src/domain/proration';

const at = (ms: number) => new Date(ms);

describe('proratedRefundCents', () => {
  it('refunds the unused share, rounded down', () => {
    expect(proratedRefundCents(1000, at(0), at(30), at(10))).toBe(666);
    expect(proratedRefundCents(999, at(0), at(100), at(50))).toBe(499);
  });
  it('is the whole amount before the period and nothing after it', () => {
    expect(proratedRefundCents(1000, at(100), at(200), at(50))).toBe(1000);
    expect(proratedRefundCents(1000, at(100), at(200), at(250))).toBe(0);
  });
  it('stays exact for large amounts over a year of milliseconds', () => {
    const year = 365 * 24 * 3600 * 1000;
    expect(proratedRefundCents(2_000_000_000, at(0), at(year), at(year / 4))).toBe(1_500_000_000);
  });
  it('refuses a negative or fractional amount', () => {
    expect(() => proratedRefundCents(-1, at(0), at(1), at(0))).toThrow(RangeError);
    expect(() => proratedRefundCents(1.5, at(0), at(1), at(0))).toThrow(RangeError);
  });
});
