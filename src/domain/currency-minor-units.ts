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

/**
 * A decimal amount in that currency's minor units ("19.99" USD → 1999, "500" JPY → 500, "1.5" KWD
 * → 1500); null when it is not a decimal. Digits past the currency's round half away from zero,
 * so a fee and a discount of one size come out the same size ("0.50" JPY → 1, "-0.50" → -1).
 */
export function minorUnitsOf(amount: string | number, currency: string): number | null {
  // From the text, not a float product: 1.005 × 100 is 100.49999… in binary.
  const match = /^(-?)(\d+)(?:\.(\d*))?$/.exec(String(amount).trim());
  if (!match) return null;
  const digits = currencyDecimals(currency);
  const fraction = match[3] ?? '';
  const truncated = Number(match[2]) * 10 ** digits + Number(fraction.slice(0, digits).padEnd(digits, '0'));
  const minor = truncated + (Number(fraction[digits] ?? '0') >= 5 ? 1 : 0);
  return match[1] === '-' && minor !== 0 ? -minor : minor;
}
