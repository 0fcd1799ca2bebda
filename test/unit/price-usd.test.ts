import { FixedRateSource } from '../../src/gateways/crypto/rate-source';
import { priceInUsd, usdCrossRate } from '../../src/orders/price-usd';

describe('a price in US dollars through the coins’ cross rate', () => {
  const rates = new FixedRateSource({ BTC: { USD: '50000', EUR: '40000.5', JPY: '7500000', KWD: '15000' } });

  it('converts in each currency’s digits, rounded half up to the cent', async () => {
    expect(priceInUsd(1999, await usdCrossRate(rates, 'KWD'))).toBe('6.66'); // 1.999 KWD × 50000 / 15000 = 6.6633…
    expect(priceInUsd(1999, await usdCrossRate(rates, 'JPY'))).toBe('13.33');
    expect(priceInUsd(150, await usdCrossRate(rates, 'jpy'))).toBe('1.00');
    // Decimal rates stay exact: 100.00 EUR × 50000 / 40000.5 = 124.998… USD.
    expect(priceInUsd(10000, await usdCrossRate(rates, 'EUR'))).toBe('125.00');
    expect(priceInUsd(1, await usdCrossRate(rates, 'EUR'))).toBe('0.01');
  });

  it('answers the rate source’s error when a currency has no rate', async () => {
    await expect(usdCrossRate(rates, 'GBP')).rejects.toThrow('no GBP rate for BTC');
  });
});
