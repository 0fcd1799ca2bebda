import bs58check from 'bs58check';
import { z } from 'zod';
import {
  byBlock,
  ChainWatcherError,
  chainRequest,
  decodeBody,
  responseText,
  type ChainCursor,
  type ChainWatcher,
  type ObservationResult,
  type ObserveOptions,
  type PaymentObservation,
} from './chain-observation';

/** Mainnet TRC-20 contracts of the stablecoins Sellflow takes on Tron. */
export const TRON_USDT_CONTRACT = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';
export const TRON_USDC_CONTRACT = 'TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8';

/** TronGrid's largest page. */
const MAX_PAGE_SIZE = 200;
/** How far back each call lists again, in ms: TronGrid's index can trail the node by a few blocks (3 s each). */
const DEFAULT_RESCAN_MS = 60_000;
const TRON_ADDRESS_PREFIX = 0x41;

/** TronGrid's list envelope; an error comes as `success: false` with a message. */
const page = <T extends z.ZodType>(item: T) =>
  z.object({
    success: z.boolean(),
    error: z.string().optional(),
    data: z.array(item).optional(),
    meta: z.object({ fingerprint: z.string().optional() }).optional(),
  });

// Sun as a JSON number: exact below 2^53 sun (9 billion TRX), far beyond any payment.
const sun = z.number().int().nonnegative().refine(Number.isSafeInteger, 'not an exact integer');

const accountTransaction = z.union([
  z.object({
    txID: z.string(),
    // Should an unconfirmed item come without its block, it is looked up like a TRC-20 one.
    blockNumber: z.number().int().nonnegative().optional(),
    block_timestamp: z.number().int(),
    ret: z.array(z.object({ contractRet: z.string().optional() })).optional(),
    raw_data: z.object({
      contract: z.array(z.object({ type: z.string(), parameter: z.object({ value: z.record(z.string(), z.unknown()) }) })),
    }),
  }),
  // Internal transactions (TRX moved by a contract) have their own shape; asked not to be listed, skipped if they are.
  z.object({ internal_tx_id: z.string() }),
]);

const transferValue = z.object({ amount: sun, to_address: z.string() });

const trc20Transfer = z.object({
  transaction_id: z.string(),
  block_timestamp: z.number().int(),
  to: z.string(),
  type: z.string(),
  value: z.string().regex(/^\d+$/),
  token_info: z.object({ address: z.string() }),
});

const nowBlock = z.object({
  block_header: z.object({ raw_data: z.object({ number: z.number().int().nonnegative(), timestamp: z.number().int() }) }),
});

/** `{}` when the node doesn't know the transaction (not in a block, or on a dropped fork). */
const transactionInfo = z.object({
  blockNumber: z.number().int().nonnegative().optional(),
  blockTimeStamp: z.number().int().optional(),
  // Only contract calls carry a result; a plain TRX transfer in a block succeeded.
  receipt: z.object({ result: z.string().optional() }).optional(),
});

/** A payment found on chain, before confirmations are counted against the head. */
interface Sighting {
  txid: string;
  amount: bigint;
  /** null until looked up (TRC-20 listings carry no block number) or when no longer in a block. */
  blockHeight: number | null;
  blockTimestamp?: number;
}

interface Head {
  number: number;
  timestamp: number;
}

export interface TronWatcherOptions {
  /** TronGrid (or compatible) API root, e.g. https://api.trongrid.io. */
  baseUrl: string;
  /** Sent as TRON-PRO-API-KEY; TronGrid throttles keyless callers hard. */
  apiKey?: string;
  /** TRC-20 contract (base58 T…) whose transfers count; absent, native TRX does. */
  contract?: string;
  /** How far back (ms) each call lists again, for an index that trails the chain. */
  rescanMs?: number;
  /** Items per page (at most 200). */
  pageSize?: number;
  /** Pages to follow before giving up on an address. */
  maxPages?: number;
  timeoutMs?: number;
}

/**
 * Tron through TronGrid's v1 account index: incoming TRX transfers from
 * /v1/accounts/:address/transactions (TransferContract to the address, each with its block),
 * TRC-20 transfers from /v1/accounts/:address/transactions/trc20 (no block number there, so
 * each is looked up with /wallet/gettransactioninfobyid). Confirmations count from
 * /wallet/getnowblock's head.
 *
 * The cursor's `nextBlock` is not a block but a block timestamp in milliseconds, passed as
 * `min_timestamp`: each call lists from it and moves it to the head block's time less
 * `rescanMs`. Known payments older than that are looked up by id, so their confirmations climb.
 */
export class TronWatcher implements ChainWatcher {
  private readonly baseUrl: string;
  private readonly headers: Record<string, string>;
  private readonly contract: string | null;
  private readonly rescanMs: number;
  private readonly pageSize: number;
  private readonly maxPages: number;
  private readonly timeoutMs: number;

  constructor(options: TronWatcherOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.headers = {
      accept: 'application/json',
      'content-type': 'application/json',
      ...(options.apiKey ? { 'TRON-PRO-API-KEY': options.apiKey } : {}),
    };
    this.contract = options.contract ? tronAddress(options.contract).base58 : null;
    this.rescanMs = options.rescanMs ?? DEFAULT_RESCAN_MS;
    this.pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, options.pageSize ?? MAX_PAGE_SIZE));
    this.maxPages = options.maxPages ?? 20;
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** The head block's time (ms): a payment can't predate the address being handed out. */
  async startCursor(): Promise<ChainCursor> {
    return { nextBlock: (await this.head()).timestamp };
  }

  async observe(address: string, opts: ObserveOptions = {}): Promise<ObservationResult> {
    if (!opts.cursor)
      throw new ChainWatcherError('TronWatcher.observe needs a cursor: startCursor() at invoice creation, then the previous result', false);
    const watched = tronAddress(address);
    const from = opts.cursor.nextBlock;
    // Read before listing, so the next call's window starts no later than anything listed now could have missed.
    const head = await this.head();

    const listed = this.contract
      ? await this.tokenTransfers(watched.base58, this.contract, from)
      : await this.nativeTransfers(watched, from);
    const known = (opts.known ?? []).filter((k) => !listed.has(k.txid));
    const candidates = [...listed.values(), ...known.map((k): Sighting => ({ txid: k.txid, amount: k.amount, blockHeight: null }))];

    const sightings: Sighting[] = [];
    for (const s of candidates) {
      // Native listings carry the block; TRC-20 ones and known payments are looked up.
      if (s.blockHeight !== null) sightings.push(s);
      else {
        const located = await this.locate(s);
        if (located) sightings.push(located);
      }
    }

    const observations = sightings.map((s) => toObservation(s, head.number)).sort(byBlock);
    return { observations, cursor: { nextBlock: Math.max(from, head.timestamp - this.rescanMs) } };
  }

  private async head(): Promise<Head> {
    const block = await this.request('/wallet/getnowblock', nowBlock, {});
    return block.block_header.raw_data;
  }

  private async nativeTransfers(watched: TronAddress, from: number): Promise<Map<string, Sighting>> {
    const items = await this.list(
      `/v1/accounts/${watched.base58}/transactions`,
      { only_to: 'true', only_confirmed: 'false', search_internal: 'false', min_timestamp: String(from) },
      accountTransaction,
    );
    const found = new Map<string, Sighting>();
    for (const item of items) {
      if (!('txID' in item)) continue;
      if (item.ret?.[0]?.contractRet !== 'SUCCESS') continue;
      let amount = 0n;
      for (const contract of item.raw_data.contract) {
        if (contract.type !== 'TransferContract') continue;
        const value = transferValue.safeParse(contract.parameter.value);
        if (!value.success)
          throw new ChainWatcherError(
            `${this.baseUrl} listed ${item.txID} with an unexpected TransferContract: ${value.error.message.slice(0, 200)}`,
            false,
          );
        if (value.data.to_address.toLowerCase() === watched.hex) amount += BigInt(value.data.amount);
      }
      if (amount > 0n)
        found.set(item.txID, { txid: item.txID, amount, blockHeight: item.blockNumber ?? null, blockTimestamp: item.block_timestamp });
    }
    return found;
  }

  /** Transfer events to the address; one transaction can carry several (batch payouts), summed. */
  private async tokenTransfers(watched: string, contract: string, from: number): Promise<Map<string, Sighting>> {
    const items = await this.list(
      `/v1/accounts/${watched}/transactions/trc20`,
      { only_to: 'true', only_confirmed: 'false', contract_address: contract, min_timestamp: String(from) },
      trc20Transfer,
    );
    const found = new Map<string, Sighting>();
    for (const item of items) {
      if (item.type !== 'Transfer' || item.to !== watched || item.token_info.address !== contract) continue;
      const prior = found.get(item.transaction_id);
      found.set(item.transaction_id, {
        txid: item.transaction_id,
        amount: (prior?.amount ?? 0n) + BigInt(item.value),
        blockHeight: null,
        blockTimestamp: item.block_timestamp,
      });
    }
    return new Map([...found].filter(([, s]) => s.amount > 0n));
  }

  /** Where the transaction stands now: in a block, in none (0 confirmations), or reverted (dropped). */
  private async locate(s: Sighting): Promise<Sighting | null> {
    const info = await this.request('/wallet/gettransactioninfobyid', transactionInfo, { value: s.txid });
    if (info.receipt?.result !== undefined && info.receipt.result !== 'SUCCESS') return null;
    if (info.blockNumber === undefined) return { txid: s.txid, amount: s.amount, blockHeight: null };
    return { txid: s.txid, amount: s.amount, blockHeight: info.blockNumber, blockTimestamp: info.blockTimeStamp ?? s.blockTimestamp };
  }

  /** Every item of a v1 listing, newest first, following meta.fingerprint. */
  private async list<T>(path: string, query: Record<string, string>, item: z.ZodType<T>): Promise<T[]> {
    const items: T[] = [];
    let fingerprint: string | undefined;
    for (let pages = 0; ; pages += 1) {
      if (pages >= this.maxPages)
        throw new ChainWatcherError(
          `${path} has more than ${pages * this.pageSize} transactions in the window; not a receiving address`,
          false,
        );
      const params = new URLSearchParams({ ...query, limit: String(this.pageSize), ...(fingerprint ? { fingerprint } : {}) });
      const url = `${this.baseUrl}${path}?${params}`;
      const response = await chainRequest(url, { headers: this.headers }, this.timeoutMs);
      const body = decodeBody(page(item), await responseText(response, url), url);
      if (!body.success) throw new ChainWatcherError(`${url} answered an error: ${body.error ?? 'no message'}`, false);
      const data = body.data ?? [];
      items.push(...data);
      fingerprint = body.meta?.fingerprint;
      if (!fingerprint || data.length < this.pageSize) return items;
    }
  }

  private async request<T>(path: string, schema: z.ZodType<T>, body: unknown): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    const response = await chainRequest(url, { method: 'POST', headers: this.headers, body: JSON.stringify(body) }, this.timeoutMs);
    return decodeBody(schema, await responseText(response, url), url);
  }
}

interface TronAddress {
  base58: string;
  /** 41-prefixed lower-case hex, how the node writes addresses inside transactions. */
  hex: string;
}

/** Base58check of 0x41 + a 20-byte account id (the T… form). */
function tronAddress(text: string): TronAddress {
  let payload: Uint8Array;
  try {
    payload = bs58check.decode(text);
  } catch {
    throw new ChainWatcherError(`${text} is not a Tron address`, false);
  }
  if (payload.length !== 21 || payload[0] !== TRON_ADDRESS_PREFIX) throw new ChainWatcherError(`${text} is not a Tron address`, false);
  return { base58: text, hex: Buffer.from(payload).toString('hex') };
}

function toObservation(s: Sighting, head: number): PaymentObservation {
  if (s.blockHeight === null) return { txid: s.txid, amount: s.amount, confirmations: 0, blockHeight: null };
  return {
    txid: s.txid,
    amount: s.amount,
    confirmations: Math.max(1, head - s.blockHeight + 1),
    blockHeight: s.blockHeight,
    ...(s.blockTimestamp !== undefined ? { seenAt: new Date(s.blockTimestamp).toISOString() } : {}),
  };
}
