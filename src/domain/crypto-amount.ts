/**
 * Crypto amounts as bigint counts of a coin's smallest unit (satoshi, wei, lamport, …). Rates
 * arrive as decimal strings and are parsed into integers, so no float ever touches money.
 */

const DECIMAL = /^(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
/** Bounds the bigint powers of ten a rate can ask for; real rates are nowhere near. */
const MAX_RATE_EXPONENT = 64;

/**
 * The crypto amount, in smallest units, that pays `fiatMinor` (cents for a 2-decimal
 * currency) at `rate` fiat per whole coin. Rounds up: the customer never underpays by rounding.
 */
export function cryptoAmountFor(fiatMinor: number | bigint, rate: string, coinDecimals: number, fiatDecimals = 2): bigint {
  const minor = typeof fiatMinor === 'bigint' ? fiatMinor : safeIntegerToBigint(fiatMinor, 'fiatMinor');
  if (minor < 0n) throw new RangeError('fiatMinor must not be negative');
  checkDecimals(coinDecimals, 'coinDecimals');
  checkDecimals(fiatDecimals, 'fiatDecimals');
  const { digits, scale } = parseRate(rate);
  // minor / 10^fiatDecimals fiat ÷ (digits / 10^scale) fiat per coin × 10^coinDecimals units per coin
  const numerator = minor * 10n ** BigInt(coinDecimals + scale);
  const denominator = digits * 10n ** BigInt(fiatDecimals);
  return (numerator + denominator - 1n) / denominator;
}

/** "0.00030000" for 30000n at 8 decimals: always every decimal, so amounts line up. */
export function formatSmallestUnits(amount: bigint, decimals: number): string {
  checkDecimals(decimals, 'decimals');
  const sign = amount < 0n ? '-' : '';
  const digits = (amount < 0n ? -amount : amount).toString();
  if (decimals === 0) return sign + digits;
  const padded = digits.padStart(decimals + 1, '0');
  return `${sign}${padded.slice(0, -decimals)}.${padded.slice(-decimals)}`;
}

/** The inverse of `formatSmallestUnits`; refuses more decimals than the coin has rather than rounding. */
export function parseSmallestUnits(text: string, decimals: number): bigint {
  checkDecimals(decimals, 'decimals');
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!match) throw new RangeError('amount must be a plain decimal number');
  const [, sign, whole = '', fraction = ''] = match;
  if (fraction.length > decimals) throw new RangeError(`amount has more than ${decimals} decimals`);
  const units = BigInt(whole + fraction.padEnd(decimals, '0'));
  return sign === '-' ? -units : units;
}

/**
 * Quoted amounts for account-based coins stay on a grid of this many decimals: wallets and
 * exchange withdrawal forms commonly accept no more than 6–8, and the customer must be able to
 * send exactly the quoted amount. One step is then below a cent for realistic prices
 * (1e-6 ETH ≈ $0.003 at $3,000) while leaving ample room to tell open invoices apart.
 */
export const AMOUNT_STEP_DECIMALS = 6;

/** The grid step in smallest units: 10^(decimals − 6), or 1 for coins with 6 decimals or fewer. */
export function amountStep(decimals: number): bigint {
  checkDecimals(decimals, 'decimals');
  return 10n ** BigInt(Math.max(decimals - AMOUNT_STEP_DECIMALS, 0));
}

/**
 * An amount for a new invoice paying to an address shared with other open invoices, so an
 * incoming payment identifies its invoice by amount: `base` rounded up to the `step` grid, then
 * raised by the fewest steps that make it differ from every open amount. Only ever upwards, so
 * the customer still never underpays; all amounts on the grid are at least one step apart.
 * UTXO coins get a fresh address per invoice and don't need this.
 */
export function uniqueAmount(base: bigint, openAmounts: Iterable<bigint>, step: bigint): bigint {
  if (base < 0n) throw new RangeError('base must not be negative');
  if (step <= 0n) throw new RangeError('step must be positive');
  const taken = new Set(openAmounts);
  const remainder = base % step;
  let candidate = remainder === 0n ? base : base + step - remainder;
  while (taken.has(candidate)) candidate += step;
  return candidate;
}

function parseRate(rate: string): { digits: bigint; scale: number } {
  const match = DECIMAL.exec(rate.trim());
  if (!match) throw new RangeError('rate must be a decimal number such as "50000" or "0.0000123"');
  const [, whole = '', fraction = '', exponentText = '0'] = match;
  const exponent = Number(exponentText);
  if (Math.abs(exponent) > MAX_RATE_EXPONENT) throw new RangeError('rate exponent out of range');
  let digits = BigInt(whole + fraction);
  let scale = fraction.length - exponent;
  if (scale < 0) {
    digits *= 10n ** BigInt(-scale);
    scale = 0;
  }
  if (digits === 0n) throw new RangeError('rate must be greater than zero');
  return { digits, scale };
}

function safeIntegerToBigint(value: number, name: string): bigint {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${name} must be an integer`);
  return BigInt(value);
}

function checkDecimals(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 36) throw new RangeError(`${name} must be an integer from 0 to 36`);
}
