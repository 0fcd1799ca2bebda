import { currencyDecimals, majorUnits } from '../../src/domain/currency-minor-units';

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
});
