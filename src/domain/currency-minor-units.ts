/**
 * Currencies' minor units: we keep every amount in them (cents for USD, yen for JPY, fils for
 * KWD) and write decimals with as many digits as the currency has.
 */

/** Minor-unit digits of an ISO currency (JPY 0, USD 2, KWD 3); unknown codes count as 2. */
export function currencyDecimals(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** Minor units as a decimal amount in that currency's digits (1999 USD → "19.99", JPY → "1999", KWD → "1.999"). */
export function majorUnits(minor: number, currency: string): string {
  const digits = currencyDecimals(currency);
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  if (digits === 0) return `${sign}${abs}`;
  const scale = 10 ** digits;
  return `${sign}${Math.floor(abs / scale)}.${String(abs % scale).padStart(digits, '0')}`;
}
