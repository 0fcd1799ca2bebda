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

/** keccak256("Transfer(address,address,uint256)"), the ERC-20 transfer event. */
export const TRANSFER_TOPIC = '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';

/** A full-transaction Ethereum block is 100–300 kB: 500 keeps one catch-up call to tens of MB. */
const DEFAULT_MAX_BLOCKS_PER_CALL = 500;

// JSON-RPC error codes where the node is busy, not the request wrong: EIP-1474's "limit exceeded" and providers' HTTP-style codes.
const RETRYABLE_RPC_CODES = new Set([-32005, 429]);

const quantity = z.string().regex(/^0x[0-9a-fA-F]+$/);
const toNumber = (hex: string) => Number.parseInt(hex.slice(2), 16);
const toHex = (n: number) => `0x${n.toString(16)}`;
const toIso = (unixHex: string) => new Date(toNumber(unixHex) * 1000).toISOString();

const blockWithTransactions = z
  .object({
    number: quantity,
    timestamp: quantity,
    transactions: z.array(z.object({ hash: z.string(), to: z.string().nullish(), value: quantity })),
  })
  .nullable();

const transferLog = z.object({
  address: z.string(),
  topics: z.array(z.string()),
  data: z.string(),
  blockNumber: quantity.nullable(),
  transactionHash: z.string(),
  removed: z.boolean().optional(),
  // Newer nodes (geth 1.14+) add it; older ones don't.
  blockTimestamp: quantity.optional(),
});
type TransferLog = z.infer<typeof transferLog>;

const receipt = z
  .object({
    blockNumber: quantity,
    // Absent only on pre-Byzantium (2017) receipts.
    status: quantity.optional(),
    logs: z.array(transferLog),
  })
  .nullable();

/** A payment found on chain, before confirmations are counted against the head. */
type Sighting = Omit<PaymentObservation, 'confirmations'>;

export interface EvmWatcherOptions {
  /** JSON-RPC endpoint of an Ethereum, BNB Smart Chain or Polygon node. */
  rpcUrl: string;
  /** ERC-20 contract whose Transfer events count as payments; absent, the chain's native coin does. */
  token?: string;
  /** Blocks one observe() call scans at most; a caller behind by more catches up over several calls. */
  maxBlocksPerCall?: number;
  /** Requests per JSON-RPC batch; 1 sends plain requests, for providers that refuse batches. */
  batchSize?: number;
  timeoutMs?: number;
}

/**
 * EVM chains over JSON-RPC. A node can't list an address's incoming transfers, so the native
 * coin is found by scanning blocks (transactions whose `to` is the address; value moved by
 * contract-internal calls is not seen) and tokens by eth_getLogs on Transfer events to it.
 * Scanning resumes from the caller's cursor, and the caller's known observations are
 * rechecked by receipt, so confirmations climb and a reorg drops a payment back to 0 without
 * rescanning. The watcher itself keeps no per-address state.
 */
export class EvmWatcher implements ChainWatcher {
  private readonly rpcUrl: string;
  private readonly token: string | null;
  private readonly maxBlocksPerCall: number;
  private readonly rpc: JsonRpcClient;

  constructor(options: EvmWatcherOptions) {
    this.rpcUrl = options.rpcUrl;
    this.token = options.token ? evmAddress(options.token) : null;
    this.maxBlocksPerCall = options.maxBlocksPerCall ?? DEFAULT_MAX_BLOCKS_PER_CALL;
    this.rpc = new JsonRpcClient(options.rpcUrl, {
      batchSize: Math.max(1, options.batchSize ?? 20),
      timeoutMs: options.timeoutMs ?? 20_000,
      retryableCodes: RETRYABLE_RPC_CODES,
    });
  }

  /** Scanning starts at the head block itself: a payment can't predate the address, but may land in the block being read. */
  async startCursor(): Promise<ChainCursor> {
    return { nextBlock: await this.head() };
  }

  async observe(address: string, opts: ObserveOptions = {}): Promise<ObservationResult> {
    if (!opts.cursor)
      throw new ChainWatcherError('EvmWatcher.observe needs a cursor: startCursor() at invoice creation, then the previous result', false);
    const watched = evmAddress(address);
    const head = await this.head();
    const from = opts.cursor.nextBlock;
    const to = Math.min(head, from + this.maxBlocksPerCall - 1);

    let sightings: Sighting[];
    if (this.token) {
      const found = from <= to ? await this.tokenTransfers(this.token, watched, from, to) : [];
      const seen = new Set(found.map((s) => s.txid));
      sightings = [
        ...(await this.recheckToken(
          this.token,
          watched,
          (opts.known ?? []).filter((k) => !seen.has(k.txid)),
        )),
        ...found,
      ];
    } else {
      const found = from <= to ? await this.nativeTransfers(watched, from, to) : [];
      const seen = new Set(found.map((s) => s.txid));
      // Found ones too: a transaction in a block may still have reverted and moved nothing.
      sightings = await this.recheckNative([...(opts.known ?? []).filter((k) => !seen.has(k.txid)), ...found]);
    }

    const observations = sightings
      .map((s) => ({ ...s, confirmations: s.blockHeight === null ? 0 : Math.max(1, head - s.blockHeight + 1) }))
      .sort(byBlock);
    return { observations, cursor: { nextBlock: Math.max(from, to + 1) } };
  }

  private async head(): Promise<number> {
    const [hex] = await this.rpc.call('eth_blockNumber', [[]], quantity);
    return toNumber(hex!);
  }

  private async nativeTransfers(watched: string, from: number, to: number): Promise<Sighting[]> {
    const heights = Array.from({ length: to - from + 1 }, (_, i) => from + i);
    const blocks = await this.rpc.call(
      'eth_getBlockByNumber',
      heights.map((h) => [toHex(h), true]),
      blockWithTransactions,
    );
    const sightings: Sighting[] = [];
    blocks.forEach((block, i) => {
      // A load-balanced node may not have the head the previous node announced yet.
      if (!block) throw new ChainWatcherError(`${this.rpcUrl} has no block ${heights[i]} yet`, true);
      for (const tx of block.transactions) {
        const amount = BigInt(tx.value);
        if (tx.to?.toLowerCase() === watched && amount > 0n)
          sightings.push({ txid: tx.hash, amount, blockHeight: toNumber(block.number), seenAt: toIso(block.timestamp) });
      }
    });
    return sightings;
  }

  /** Receipts say where each transaction is now: reorged out (none yet), reverted, or mined. */
  private async recheckNative(candidates: readonly Sighting[]): Promise<Sighting[]> {
    const receipts = await this.rpc.call(
      'eth_getTransactionReceipt',
      candidates.map((c) => [c.txid]),
      receipt,
    );
    return candidates.flatMap((c, i) => {
      const r = receipts[i];
      if (!r) return [{ txid: c.txid, amount: c.amount, blockHeight: null }];
      if (r.status === '0x0') return [];
      return [sightingAt(c, toNumber(r.blockNumber))];
    });
  }

  private async tokenTransfers(token: string, watched: string, from: number, to: number): Promise<Sighting[]> {
    const filter = { fromBlock: toHex(from), toBlock: toHex(to), address: token, topics: [TRANSFER_TOPIC, null, paddedTopic(watched)] };
    const [logs] = await this.rpc.call('eth_getLogs', [[filter]], z.array(transferLog));
    return sumPerTransaction(logs!.filter((log) => isTransferTo(log, token, watched)));
  }

  /** A token payment's amount lives in its logs, so a re-mined transaction is re-read, not assumed. */
  private async recheckToken(token: string, watched: string, known: readonly PaymentObservation[]): Promise<Sighting[]> {
    const receipts = await this.rpc.call(
      'eth_getTransactionReceipt',
      known.map((k) => [k.txid]),
      receipt,
    );
    return known.flatMap((k, i) => {
      const r = receipts[i];
      if (!r) return [{ txid: k.txid, amount: k.amount, blockHeight: null }];
      const [again] = sumPerTransaction(r.logs.filter((log) => isTransferTo(log, token, watched)));
      if (!again) return [];
      return [{ ...sightingAt(k, toNumber(r.blockNumber)), amount: again.amount, ...(again.seenAt ? { seenAt: again.seenAt } : {}) }];
    });
  }
}

function evmAddress(address: string): string {
  if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new ChainWatcherError(`${address} is not an EVM address`, false);
  // Checksummed or not, the same address: nodes answer in lower case.
  return address.toLowerCase();
}

const paddedTopic = (address: string) => `0x${'0'.repeat(24)}${address.slice(2)}`;

function isTransferTo(log: TransferLog, token: string, watched: string): boolean {
  return (
    !log.removed &&
    log.address.toLowerCase() === token &&
    log.topics.length === 3 &&
    log.topics[0]?.toLowerCase() === TRANSFER_TOPIC &&
    log.topics[2]?.toLowerCase() === paddedTopic(watched) &&
    /^0x[0-9a-fA-F]{1,64}$/.test(log.data)
  );
}

/** A transaction can carry several transfers to the address (batch payouts); one observation sums them. */
function sumPerTransaction(logs: readonly TransferLog[]): Sighting[] {
  const byTx = new Map<string, Sighting>();
  for (const log of logs) {
    const prior = byTx.get(log.transactionHash);
    const amount = (prior?.amount ?? 0n) + BigInt(log.data);
    byTx.set(log.transactionHash, {
      txid: log.transactionHash,
      amount,
      blockHeight: log.blockNumber === null ? null : toNumber(log.blockNumber),
      ...(log.blockTimestamp ? { seenAt: toIso(log.blockTimestamp) } : {}),
    });
  }
  return [...byTx.values()].filter((s) => s.amount > 0n);
}

/** The sighting at its (possibly new) block; the block time is kept only if the block is the same. */
function sightingAt(s: Sighting, blockHeight: number): Sighting {
  const seenAt = s.blockHeight === blockHeight ? s.seenAt : undefined;
  return { txid: s.txid, amount: s.amount, blockHeight, ...(seenAt ? { seenAt } : {}) };
}
