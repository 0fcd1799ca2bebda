import { currencyDecimals } from '../../src/domain/currency-minor-units';
import { commissionAfterRefund, parseMajorAmount, refundableCents } from '../../src/domain/refund-amount';

describe('refund amounts', () => {
  it('reads the spec’s decimal amounts in the currency’s minor units, refusing more decimals than it has', () => {
    expect(parseMajorAmount('12.50', 'USD')).toBe(1250);
    expect(parseMajorAmount('12.5', 'USD')).toBe(1250);
    expect(parseMajorAmount('7', 'USD')).toBe(700);
    expect(parseMajorAmount('500', 'JPY')).toBe(500);
    expect(parseMajorAmount('1.5', 'JPY')).toBeNull();
    expect(parseMajorAmount('1.234', 'KWD')).toBe(1234);
    expect(parseMajorAmount('1.234', 'USD')).toBeNull();
    for (const bad of ['0', '0.00', '-1', '1e3', 'abc', '', '1.', '.5']) expect(parseMajorAmount(bad, 'USD')).toBeNull();
    expect(currencyDecimals('NOPE')).toBe(2);
  });

  it('never leaves a negative refundable amount', () => {
    expect(refundableCents(1999, 500)).toBe(1499);
    expect(refundableCents(1999, 2500)).toBe(0);
  });

  it('shrinks a commission in proportion to the money kept, so successive refunds compose', () => {
    // 1000 cents commission on a 4000 paid order: refund 1000, then 1000 more → 750, then 500.
    const afterFirst = commissionAfterRefund(1000, 4000, 1000);
    expect(afterFirst).toBe(750);
    expect(commissionAfterRefund(afterFirst, 3000, 1000)).toBe(500);
    expect(commissionAfterRefund(1000, 4000, 4000)).toBe(0);
    expect(commissionAfterRefund(1000, 0, 10)).toBe(0);
  });
});
