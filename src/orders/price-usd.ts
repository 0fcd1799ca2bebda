import { currencyDecimals, majorUnits } from '../domain/currency-minor-units';
import type { RateSource } from '../gateways/crypto/rate-source';

/**
 * A fiat amount in US dollars for a custom redirect's `{price_usd}`, through the rates the crypto
 * checkout uses: they price coins, so a fiat pair is the cross rate of one coin priced in both
 * (BTC, which every rate source prices in the most currencies), exact in decimals, rounded half up
 * to the cent. Throws the rate source's RateSourceError when a rate cannot be had.
 */
export const CROSS_RATE_COIN = 'BTC';

/** "50000.125" → 50000125n × 10^-3. */
function decimal(text: string): { digits: bigint; scale: number } {
  const [whole = '0', fraction = ''] = text.split('.');
  return { digits: BigInt(whole + fraction), scale: fraction.length };
}

/** One coin's price in US dollars and in the currency: the cross rate, asked before any transaction. */
export interface UsdCrossRate {
  currency: string;
  usd: string;
  local: string;
}

export async function usdCrossRate(rates: RateSource, currency: string): Promise<UsdCrossRate> {
  const code = currency.toUpperCase();
  const [usd, local] = await Promise.all([rates.rate(CROSS_RATE_COIN, 'USD'), rates.rate(CROSS_RATE_COIN, code)]);
  return { currency: code, usd, local };
}

/** Minor units of the rate's currency in US dollars ("12.34"). */
export function priceInUsd(minor: number, rate: UsdCrossRate): string {
  const u = decimal(rate.usd);
  const l = decimal(rate.local);
  // cents = minor / 10^decimals × usd / local × 100, in integers.
  const numerator = BigInt(minor) * u.digits * 10n ** BigInt(l.scale) * 100n;
  const denominator = l.digits * 10n ** BigInt(u.scale) * 10n ** BigInt(currencyDecimals(rate.currency));
  const cents = (2n * numerator + denominator) / (2n * denominator);
  return majorUnits(Number(cents), 'USD');
}
