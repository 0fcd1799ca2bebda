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
  type PaymentObservation,
} from './chain-observation';

/** Esplora returns confirmed history 25 transactions at a time, on /txs and on /txs/chain/:last_seen_txid. */
const CONFIRMED_PAGE_SIZE = 25;

const esploraTxs = z.array(
  z.object({
    txid: z.string(),
    vout: z.array(
      z.object({
        // Absent on outputs that pay no address (OP_RETURN, bare multisig).
        scriptpubkey_address: z.string().optional(),
        // Satoshi as a JSON number: exact, since all coins ever fit in 2^53.
        value: z.number().int().nonnegative(),
      }),
    ),
    status: z.object({
      confirmed: z.boolean(),
      block_height: z.number().int().optional(),
      block_time: z.number().int().optional(),
    }),
  }),
);
type EsploraTx = z.infer<typeof esploraTxs>[number];

// Bech32 addresses are case-insensitive (QR codes carry them upper case); base58 ones are not.
const BECH32_ADDRESS = /^(bc|tb|bcrt|ltc|tltc|rltc)1[02-9ac-hj-np-z]+$/i;
const canonicalAddress = (address: string) => (BECH32_ADDRESS.test(address) ? address.toLowerCase() : address);

export interface EsploraWatcherOptions {
  /** API root, e.g. https://blockstream.info/api or https://litecoinspace.org/api. */
  baseUrl: string;
  timeoutMs?: number;
  /** Confirmed-history pages to follow before giving up on an address (an invoice address has a handful of payments). */
  maxPages?: number;
}

/**
 * BTC and LTC through an Esplora API (Blockstream, mempool.space and their Litecoin twins).
 * Esplora indexes addresses, so every call sees the address's whole history: no cursor, and a
 * reorg shows up by itself as a transaction back at 0 confirmations. Mempool transactions
 * beyond the 50 Esplora lists are not seen until they confirm.
 */
export class EsploraWatcher implements ChainWatcher {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly maxPages: number;

  constructor(options: EsploraWatcherOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.maxPages = options.maxPages ?? 40;
  }

  async startCursor(): Promise<ChainCursor | null> {
    return null;
  }

  async observe(address: string): Promise<ObservationResult> {
    const watched = canonicalAddress(address);
    const txs = await this.history(watched);
    // The tip after the history, so no transaction's block is above it.
    const tip = await this.tipHeight();
    const observations: PaymentObservation[] = [];
    for (const tx of txs.values()) {
      const amount = tx.vout.reduce(
        (sum, out) =>
          out.scriptpubkey_address !== undefined && canonicalAddress(out.scriptpubkey_address) === watched ? sum + BigInt(out.value) : sum,
        0n,
      );
      // Transactions that only spend from the address are history, not payments.
      if (amount === 0n) continue;
      const height = tx.status.confirmed ? (tx.status.block_height ?? null) : null;
      observations.push({
        txid: tx.txid,
        amount,
        confirmations: height === null ? 0 : Math.max(1, tip - height + 1),
        blockHeight: height,
        ...(height !== null && tx.status.block_time !== undefined ? { seenAt: new Date(tx.status.block_time * 1000).toISOString() } : {}),
      });
    }
    return { observations: observations.sort(byBlock), cursor: null };
  }

  /** Mempool plus all confirmed transactions touching the address, by txid. */
  private async history(address: string): Promise<Map<string, EsploraTx>> {
    const path = `/address/${encodeURIComponent(address)}/txs`;
    const txs = new Map<string, EsploraTx>();
    const add = (page: EsploraTx[]) => {
      // A transaction confirmed between two page requests shows up twice; the confirmed copy wins.
      for (const tx of page) if (!txs.get(tx.txid)?.status.confirmed) txs.set(tx.txid, tx);
    };
    let page = await this.get(path, esploraTxs);
    add(page);
    let confirmed = page.filter((tx) => tx.status.confirmed);
    for (let pages = 1; confirmed.length >= CONFIRMED_PAGE_SIZE; pages += 1) {
      if (pages >= this.maxPages)
        throw new ChainWatcherError(
          `${address} has more than ${pages * CONFIRMED_PAGE_SIZE} confirmed transactions; not an invoice address`,
          false,
        );
      const lastSeen = confirmed[confirmed.length - 1]!.txid;
      page = await this.get(`${path}/chain/${lastSeen}`, esploraTxs);
      if (page.some((tx) => tx.txid === lastSeen))
        throw new ChainWatcherError(`${this.baseUrl} repeated ${lastSeen} when paging past it`, false);
      add(page);
      confirmed = page.filter((tx) => tx.status.confirmed);
    }
    return txs;
  }

  private async tipHeight(): Promise<number> {
    const url = `${this.baseUrl}/blocks/tip/height`;
    const text = (await responseText(await chainRequest(url, {}, this.timeoutMs), url)).trim();
    if (!/^\d+$/.test(text)) throw new ChainWatcherError(`${url} answered ${text.slice(0, 100)}, not a height`, false);
    return Number(text);
  }

  private async get<T>(path: string, schema: z.ZodType<T>): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    const response = await chainRequest(url, { headers: { accept: 'application/json' } }, this.timeoutMs);
    return decodeBody(schema, await responseText(response, url), url);
  }
}
