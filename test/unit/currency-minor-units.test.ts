import { currencyDecimals, majorUnits, minorUnitsOf } from '../../src/domain/currency-minor-units';

describe('currency minor units', () => {
  it('knows each currency’s digits', () => {
    expect([currencyDecimals('JPY'), currencyDecimals('USD'), currencyDecimals('KWD')]).toEqual([0, 2, 3]);
  });

  it('shows minor units as a decimal amount', () => {
    expect([majorUnits(1999, 'USD'), majorUnits(5, 'USD'), majorUnits(100, 'USD'), majorUnits(-250, 'USD')]).toEqual([
      '19.99',
      '0.05',
      '1.00',
      '-2.50',
    ]);
    // The currency's own digits: yen have none, Kuwaiti dinars three.
    expect([majorUnits(1999, 'JPY'), majorUnits(5, 'JPY'), majorUnits(-250, 'JPY')]).toEqual(['1999', '5', '-250']);
    expect([majorUnits(1999, 'KWD'), majorUnits(5, 'KWD'), majorUnits(12000, 'KWD'), majorUnits(-250, 'KWD')]).toEqual([
      '1.999',
      '0.005',
      '12.000',
      '-0.250',
    ]);
  });

  it('reads a decimal amount in the currency’s own minor units', () => {
    expect([minorUnitsOf('19.99', 'USD'), minorUnitsOf('5', 'USD'), minorUnitsOf(2.5, 'USD'), minorUnitsOf('-1.00', 'USD')]).toEqual([
      1999, 500, 250, -100,
    ]);
    expect([minorUnitsOf('500', 'JPY'), minorUnitsOf('5.00', 'JPY'), minorUnitsOf('-5', 'JPY')]).toEqual([500, 5, -5]);
    expect([minorUnitsOf('1.5', 'KWD'), minorUnitsOf('5.00', 'KWD'), minorUnitsOf('0.005', 'KWD')]).toEqual([1500, 5000, 5]);
    expect([minorUnitsOf('', 'USD'), minorUnitsOf('1e3', 'USD'), minorUnitsOf('abc', 'USD')]).toEqual([null, null, null]);
  });

  it('rounds digits past the currency’s half away from zero, from the text', () => {
    // 1.005 × 100 is 100.4999… as a float; the text says half a cent.
    expect([minorUnitsOf('1.005', 'USD'), minorUnitsOf('1.004', 'USD'), minorUnitsOf('-1.005', 'USD')]).toEqual([101, 100, -101]);
    expect([minorUnitsOf('0.50', 'JPY'), minorUnitsOf('-0.50', 'JPY'), minorUnitsOf('0.49', 'JPY')]).toEqual([1, -1, 0]);
    expect(minorUnitsOf('-0.004', 'USD')).toBe(0);
  });
});
