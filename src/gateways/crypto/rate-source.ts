import { z } from 'zod';

/** How much fiat one whole coin is worth, as a decimal string: prices are never floats here. */
export interface RateSource {
  rate(ticker: string, fiat: string): Promise<string>;
}

/** A rate we could not get; `retryable` says whether asking again later could help. */
export class RateSourceError extends Error {
  override readonly name = 'RateSourceError';

  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Our tickers as CoinGecko ids. MATIC is the pre-POL token, which CoinGecko still prices. */
export const COINGECKO_IDS: Readonly<Record<string, string>> = {
  BTC: 'bitcoin',
  LTC: 'litecoin',
  ETH: 'ethereum',
  BNB: 'binancecoin',
  TRX: 'tron',
  MATIC: 'matic-network',
  SOL: 'solana',
  XMR: 'monero',
  USDT: 'tether',
  USDC: 'usd-coin',
  UNI: 'uniswap',
  SHIB: 'shiba-inu',
  DAI: 'dai',
};

/**
 * A JSON number as plain decimal digits. JavaScript prints small and huge numbers in exponent
 * form (1.23e-5), which decimal parsers downstream (Postgres numeric aside) reject.
 */
export function decimalString(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`${value} has no decimal form`);
  const text = String(value);
  const exponent = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!exponent) return text;
  const [, sign = '', whole = '', fraction = '', power = '0'] = exponent;
  const digits = whole + fraction;
  const point = whole.length + Number(power);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

const simplePrice = z.record(z.string(), z.record(z.string(), z.unknown()));

export interface CoinGeckoRateSourceOptions {
  /** API root: https://api.coingecko.com/api/v3, the Pro root, or a fake in tests. */
  baseUrl: string;
  /** e.g. { 'x-cg-demo-api-key': key }. */
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** Live rates from CoinGecko's /simple/price. */
export class CoinGeckoRateSource implements RateSource {
  private readonly baseUrl: string;

  constructor(private readonly options: CoinGeckoRateSourceOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  async rate(ticker: string, fiat: string): Promise<string> {
    const id = COINGECKO_IDS[ticker.toUpperCase()];
    if (!id) throw new RateSourceError(`No CoinGecko id for ${ticker}; known: ${Object.keys(COINGECKO_IDS).join(' ')}`, false);
    const vs = fiat.toLowerCase();
    const url = `${this.baseUrl}/simple/price?${new URLSearchParams({ ids: id, vs_currencies: vs }).toString()}`;
    const price = simplePrice.safeParse(await this.getJson(url));
    if (!price.success) throw new RateSourceError(`${url} answered an unexpected shape`, false);
    const value = price.data[id]?.[vs];
    // CoinGecko leaves out what it doesn't price rather than failing.
    if (typeof value !== 'number' || !(value > 0))
      throw new RateSourceError(`CoinGecko has no ${fiat.toUpperCase()} rate for ${ticker.toUpperCase()} (${id})`, false);
    return decimalString(value);
  }

  private async getJson(url: string): Promise<unknown> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        headers: { accept: 'application/json', ...this.options.headers },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
      text = await response.text();
    } catch (error) {
      throw new RateSourceError(`GET ${url} failed: ${error instanceof Error ? error.message : String(error)}`, true, { cause: error });
    }
    if (!response.ok)
      throw new RateSourceError(
        `GET ${url} answered ${response.status}: ${text.slice(0, 200)}`,
        response.status === 429 || response.status >= 500,
      );
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new RateSourceError(`GET ${url} did not answer JSON: ${text.slice(0, 200)}`, false);
    }
  }
}

const positiveDecimal = z.string().regex(/^(?=.*[1-9])\d+(\.\d+)?$/, 'a positive decimal like "50000.12"');

/** CRYPTO_FIXED_RATES: {"BTC":{"USD":50000}}; strings keep rates exact beyond a double's digits. */
export const fixedRatesSchema = z
  .record(z.string(), z.record(z.string(), z.union([z.number().positive(), positiveDecimal])))
  .transform((rates) =>
    Object.fromEntries(
      Object.entries(rates).map(([ticker, byFiat]) => [
        ticker.toUpperCase(),
        Object.fromEntries(
          Object.entries(byFiat).map(([fiat, rate]) => [fiat.toUpperCase(), typeof rate === 'number' ? decimalString(rate) : rate]),
        ),
      ]),
    ),
  );
export type FixedRates = z.output<typeof fixedRatesSchema>;

/** Parses fixed rates from JSON text; `source` names where the text came from in errors. */
export function parseFixedRates(text: string, source = 'CRYPTO_FIXED_RATES'): FixedRates {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source} is not JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const parsed = fixedRatesSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${source} must look like {"BTC":{"USD":50000}}:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Rates set by the operator: for tests, and for stores that price crypto by hand. */
export class FixedRateSource implements RateSource {
  constructor(
    private readonly rates: FixedRates,
    private readonly source = 'CRYPTO_FIXED_RATES',
  ) {}

  static fromJson(text: string, source = 'CRYPTO_FIXED_RATES'): FixedRateSource {
    return new FixedRateSource(parseFixedRates(text, source), source);
  }

  async rate(ticker: string, fiat: string): Promise<string> {
    const rate = this.rates[ticker.toUpperCase()]?.[fiat.toUpperCase()];
    if (rate === undefined)
      throw new RateSourceError(`${this.source} has no ${fiat.toUpperCase()} rate for ${ticker.toUpperCase()}`, false);
    return rate;
  }
}
