import bs58 from 'bs58';
import { z } from 'zod';
import {
  byBlock,
  ChainWatcherError,
  type ChainCursor,
  type ChainWatcher,
  type ObservationResult,
  type ObserveOptions,
  type PaymentObservation,
} from './chain-observation';
import { JsonRpcClient } from './json-rpc-client';

/** Mainnet SPL mints of the stablecoins Sellflow takes on Solana. */
export const SOLANA_USDT_MINT = 'Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB';
export const SOLANA_USDC_MINT = 'EPjFWJ5kKQYbUCgqG6JzRvnr8TWbR3qiTmg1xH97ZdSY';

/**
 * Confirmations a finalized transaction reports at least, and a merely confirmed one never
 * reaches: so the default threshold (32) means exactly "finalized", however many slots passed.
 */
export const SOLANA_FINALIZED_CONFIRMATIONS = 32;

/** getSignaturesForAddress answers at most 1000 per page; getSignatureStatuses takes at most 256. */
const MAX_SIGNATURE_PAGE = 1000;
const MAX_STATUS_BATCH = 256;

// Node behind or still catching up (-32004 block not available, -32005 unhealthy, -32014 block
// status not yet available, -32016 minContextSlot not reached), internal errors, rate limits.
const RETRYABLE_RPC_CODES = new Set([-32004, -32005, -32014, -32016, -32603, 429]);

const slot = z.number().int().nonnegative();
const commitment = z.enum(['processed', 'confirmed', 'finalized']).nullish();
/** Solana's `err` is null on success and a variant object (or string) on failure. */
const failed = (err: unknown) => err !== null && err !== undefined;

const signatureInfo = z.object({
  signature: z.string(),
  slot,
  err: z.unknown(),
  blockTime: z.number().int().nullish(),
  confirmationStatus: commitment,
});
type SignatureInfo = z.infer<typeof signatureInfo>;

const tokenBalance = z.object({
  accountIndex: z.number().int().nonnegative(),
  mint: z.string(),
  // Absent on transactions from before late 2021.
  owner: z.string().optional(),
  uiTokenAmount: z.object({ amount: z.string().regex(/^\d+$/) }),
});
type TokenBalance = z.infer<typeof tokenBalance>;

const parsedTransaction = z
  .object({
    slot,
    blockTime: z.number().int().nullish(),
    meta: z
      .object({
        err: z.unknown(),
        // Not .int(): zod refuses integers past 2^53, and a big payer's balance is one; only ours is checked.
        preBalances: z.array(z.number()),
        postBalances: z.array(z.number()),
        preTokenBalances: z.array(tokenBalance).nullish(),
        postTokenBalances: z.array(tokenBalance).nullish(),
      })
      .nullable(),
    // jsonParsed lists static and lookup-table keys together, in balance-index order.
    transaction: z.object({ message: z.object({ accountKeys: z.array(z.object({ pubkey: z.string() })) }) }),
  })
  .nullable();
type ParsedTransaction = NonNullable<z.infer<typeof parsedTransaction>>;

const tokenAccounts = z.object({ value: z.array(z.object({ pubkey: z.string() })) });

const signatureStatuses = z.object({
  value: z.array(z.object({ slot, err: z.unknown(), confirmationStatus: commitment }).nullable()),
});

/** A payment found on chain, before confirmations are counted against the head. */
interface Sighting {
  txid: string;
  amount: bigint;
  /** null when the node no longer knows the transaction (rolled back with its fork). */
  slot: number | null;
  finalized: boolean;
  blockTime?: number | null;
}

export interface SolanaWatcherOptions {
  /** JSON-RPC endpoint of a Solana node, e.g. https://api.mainnet-beta.solana.com. */
  rpcUrl: string;
  /** SPL token mint whose transfers to the owner's token accounts count; absent, native SOL does. */
  mint?: string;
  /** Signatures per getSignaturesForAddress page (at most 1000). */
  pageSize?: number;
  /** Signature pages to follow per account before giving up on it. */
  maxPages?: number;
  /** getTransaction requests per JSON-RPC batch; 1 sends plain requests, for providers that refuse batches. */
  batchSize?: number;
  timeoutMs?: number;
}

/**
 * Solana over JSON-RPC. Nodes index signatures by account, so payments are found with
 * getSignaturesForAddress (the owner for SOL; each of the owner's token accounts for the mint,
 * found with getTokenAccountsByOwner, since a token transfer need not name the owner) and
 * read with getTransaction: the amount is the address's balance change in the transaction.
 *
 * The cursor's `nextBlock` is a slot: the first one not yet listed. Each call reads the
 * confirmed slot first and lists signatures with that as minContextSlot, so the listing covers
 * every confirmed transaction up to it and the next call can start just after. Known payments
 * older than the cursor are rechecked with getSignatureStatuses. Confirmations count slots
 * (skipped slots included) and stay below 32 until the transaction is finalized.
 */
export class SolanaWatcher implements ChainWatcher {
  private readonly rpcUrl: string;
  private readonly mint: string | null;
  private readonly pageSize: number;
  private readonly maxPages: number;
  private readonly rpc: JsonRpcClient;

  constructor(options: SolanaWatcherOptions) {
    this.rpcUrl = options.rpcUrl;
    this.mint = options.mint ? solanaAddress(options.mint, 'mint') : null;
    this.pageSize = Math.min(MAX_SIGNATURE_PAGE, Math.max(1, options.pageSize ?? 100));
    this.maxPages = options.maxPages ?? 20;
    this.rpc = new JsonRpcClient(options.rpcUrl, {
      batchSize: Math.max(1, options.batchSize ?? 10),
      timeoutMs: options.timeoutMs ?? 20_000,
      retryableCodes: RETRYABLE_RPC_CODES,
    });
  }

  /** Listing starts at the confirmed slot itself: a payment can't predate the address. */
  async startCursor(): Promise<ChainCursor> {
    return { nextBlock: await this.head() };
  }

  async observe(address: string, opts: ObserveOptions = {}): Promise<ObservationResult> {
    if (!opts.cursor)
      throw new ChainWatcherError(
        'SolanaWatcher.observe needs a cursor: startCursor() at invoice creation, then the previous result',
        false,
      );
    const owner = solanaAddress(address, 'address');
    const from = opts.cursor.nextBlock;
    // Read before listing: every listing below must reflect at least this slot.
    const head = await this.head();

    const accounts = this.mint ? await this.tokenAccountsOf(owner, this.mint) : [owner];
    const listed = new Map<string, SignatureInfo>();
    for (const account of accounts) for (const info of await this.signaturesSince(account, from, head)) listed.set(info.signature, info);

    const known = new Map((opts.known ?? []).map((k) => [k.txid, k]));
    const fresh = [...listed.values()].filter((info) => !failed(info.err) && !known.has(info.signature));
    const sightings = [...(await this.read(fresh, owner, new Set(accounts))), ...(await this.recheck([...known.values()], listed))];

    const observations = sightings.map((s) => toObservation(s, head)).sort(byBlock);
    return { observations, cursor: { nextBlock: Math.max(from, head + 1) } };
  }

  private async head(): Promise<number> {
    const [current] = await this.rpc.call('getSlot', [[{ commitment: 'confirmed' }]], slot);
    return current!;
  }

  private async tokenAccountsOf(owner: string, mint: string): Promise<string[]> {
    const [found] = await this.rpc.call(
      'getTokenAccountsByOwner',
      [[owner, { mint }, { encoding: 'jsonParsed', commitment: 'confirmed' }]],
      tokenAccounts,
    );
    return found!.value.map((a) => a.pubkey);
  }

  /** The account's signatures in slots from `from` on, newest first, page by page. */
  private async signaturesSince(account: string, from: number, head: number): Promise<SignatureInfo[]> {
    const found: SignatureInfo[] = [];
    let before: string | undefined;
    for (let pages = 0; ; pages += 1) {
      if (pages >= this.maxPages)
        throw new ChainWatcherError(
          `${account} has more than ${pages * this.pageSize} transactions since slot ${from}; not a receiving address`,
          false,
        );
      const config = { limit: this.pageSize, commitment: 'confirmed', minContextSlot: head, ...(before ? { before } : {}) };
      const [page] = await this.rpc.call('getSignaturesForAddress', [[account, config]], z.array(signatureInfo));
      const recent = page!.filter((info) => info.slot >= from);
      found.push(...recent);
      if (page!.length < this.pageSize || recent.length < page!.length) return found;
      before = page![page!.length - 1]!.signature;
    }
  }

  /** New signatures: what each moved into the watched address. */
  private async read(fresh: readonly SignatureInfo[], owner: string, accounts: ReadonlySet<string>): Promise<Sighting[]> {
    const config = { encoding: 'jsonParsed', maxSupportedTransactionVersion: 0, commitment: 'confirmed' };
    const txs = await this.rpc.call(
      'getTransaction',
      fresh.map((info) => [info.signature, config]),
      parsedTransaction,
    );
    return fresh.flatMap((info, i) => {
      const tx = txs[i];
      // Listed but not readable: a load-balanced node behind the one that listed it.
      if (!tx?.meta) throw new ChainWatcherError(`${this.rpcUrl} listed ${info.signature} but has no transaction for it yet`, true);
      if (failed(tx.meta.err)) return [];
      const amount = this.mint ? tokensReceived(tx, this.mint, owner, accounts) : lamportsReceived(tx, owner, info.signature);
      if (amount <= 0n) return [];
      return [
        {
          txid: info.signature,
          amount,
          slot: tx.slot,
          finalized: info.confirmationStatus === 'finalized',
          blockTime: tx.blockTime ?? info.blockTime,
        },
      ];
    });
  }

  /** Known payments keep their amount (a signature's content can't change); only where they stand is asked again. */
  private async recheck(known: readonly PaymentObservation[], listed: ReadonlyMap<string, SignatureInfo>): Promise<Sighting[]> {
    const unlisted = known.filter((k) => !listed.has(k.txid));
    const statuses: z.infer<typeof signatureStatuses>['value'] = [];
    for (let start = 0; start < unlisted.length; start += MAX_STATUS_BATCH) {
      const signatures = unlisted.slice(start, start + MAX_STATUS_BATCH).map((k) => k.txid);
      // searchTransactionHistory: without it only the last ~150 slots' statuses are answered.
      const [answer] = await this.rpc.call('getSignatureStatuses', [[signatures, { searchTransactionHistory: true }]], signatureStatuses);
      if (answer!.value.length !== signatures.length)
        throw new ChainWatcherError(`${this.rpcUrl} answered ${answer!.value.length} statuses for ${signatures.length} signatures`, true);
      statuses.push(...answer!.value);
    }
    const byTxid = new Map(unlisted.map((k, i) => [k.txid, statuses[i]]));
    return known.flatMap((k): Sighting[] => {
      const info = listed.get(k.txid);
      if (info)
        return failed(info.err)
          ? []
          : [
              {
                txid: k.txid,
                amount: k.amount,
                slot: info.slot,
                finalized: info.confirmationStatus === 'finalized',
                blockTime: info.blockTime,
              },
            ];
      const status = byTxid.get(k.txid);
      if (!status) return [{ txid: k.txid, amount: k.amount, slot: null, finalized: false }];
      if (failed(status.err)) return [];
      return [{ txid: k.txid, amount: k.amount, slot: status.slot, finalized: status.confirmationStatus === 'finalized' }];
    });
  }
}

/** A Solana address (or mint) is a 32-byte ed25519 public key in base58. */
function solanaAddress(text: string, what: string): string {
  let bytes: Uint8Array;
  try {
    bytes = bs58.decode(text);
  } catch {
    throw new ChainWatcherError(`${text} is not a Solana ${what}`, false);
  }
  if (bytes.length !== 32) throw new ChainWatcherError(`${text} is not a Solana ${what}`, false);
  return text;
}

function lamportsReceived(tx: ParsedTransaction, owner: string, signature: string): bigint {
  const index = tx.transaction.message.accountKeys.findIndex((key) => key.pubkey === owner);
  if (index < 0) return 0n;
  const pre = tx.meta!.preBalances[index];
  const post = tx.meta!.postBalances[index];
  if (pre === undefined || post === undefined) throw new ChainWatcherError(`${signature} has no balance for account #${index}`, false);
  // Balances arrive as JSON numbers: past 2^53 lamports (9M SOL) the difference would be off.
  if (!Number.isSafeInteger(pre) || !Number.isSafeInteger(post))
    throw new ChainWatcherError(`${owner} holds too many lamports to read ${signature} exactly`, false);
  return BigInt(post) - BigInt(pre);
}

/** The owner's holding of the mint after the transaction minus before, over all its token accounts. */
function tokensReceived(tx: ParsedTransaction, mint: string, owner: string, accounts: ReadonlySet<string>): bigint {
  const keys = tx.transaction.message.accountKeys;
  const ours = (b: TokenBalance) =>
    b.mint === mint && (b.owner !== undefined ? b.owner === owner : accounts.has(keys[b.accountIndex]?.pubkey ?? ''));
  // A token account created by this very transaction has no pre-balance entry: it held 0.
  const holding = (balances: readonly TokenBalance[] | null | undefined) =>
    (balances ?? []).filter(ours).reduce((sum, b) => sum + BigInt(b.uiTokenAmount.amount), 0n);
  return holding(tx.meta!.postTokenBalances) - holding(tx.meta!.preTokenBalances);
}

function toObservation(s: Sighting, head: number): PaymentObservation {
  if (s.slot === null) return { txid: s.txid, amount: s.amount, confirmations: 0, blockHeight: null };
  const depth = Math.max(1, head - s.slot + 1);
  const confirmations = s.finalized ? Math.max(SOLANA_FINALIZED_CONFIRMATIONS, depth) : Math.min(SOLANA_FINALIZED_CONFIRMATIONS - 1, depth);
  return {
    txid: s.txid,
    amount: s.amount,
    confirmations,
    blockHeight: s.slot,
    ...(s.blockTime !== undefined && s.blockTime !== null ? { seenAt: new Date(s.blockTime * 1000).toISOString() } : {}),
  };
}
