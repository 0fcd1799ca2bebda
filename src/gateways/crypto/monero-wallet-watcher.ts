import { z } from 'zod';
import { BlockedDestinationError, assertPublicDestination } from '../../webhooks/network-guard';
import {
  type ChainCursor,
  ChainWatcherError,
  type ChainWatcher,
  type ObservationResult,
  type PaymentObservation,
  byBlock,
} from './chain-observation';
import { JsonRpcClient } from './json-rpc-client';

/**
 * Monero through the store's own monero-wallet-rpc with a view-only wallet: Monero hides
 * amounts and recipients on chain, so only a wallet holding the private view key can see what
 * an address received. Each invoice gets a fresh subaddress of account 0 (`create_address`),
 * and its payments are that subaddress's incoming transfers (`get_transfers`).
 */
const RETRYABLE_RPC_CODES = new Set<number>([-13, -9]);

const transfer = z.object({
  txid: z.string(),
  // Piconero amounts pass 2^53 only above 9 000 XMR: refused rather than rounded by JSON.
  amount: z.number().nonnegative().refine(Number.isSafeInteger, 'an amount beyond exact JSON numbers'),
  /** Non-zero: the payer locked the money until a later block or time; not spendable yet. */
  unlock_time: z.number().nonnegative().optional(),
  confirmations: z.number().int().nonnegative().optional(),
  height: z.number().int().nonnegative().optional(),
  timestamp: z.number().int().optional(),
  subaddr_index: z.object({ major: z.number().int(), minor: z.number().int() }),
});
const transfers = z.object({ in: z.array(transfer).optional(), pool: z.array(transfer).optional() });
const createdAddress = z.object({ address: z.string(), address_index: z.number().int().nonnegative() });

export interface MoneroWalletOptions {
  /** The wallet RPC root, e.g. http://127.0.0.1:18082 (JSON-RPC at /json_rpc). */
  rpcUrl: string;
  /** WEBHOOKS_ALLOW_PRIVATE_NETWORKS: otherwise every call goes to public addresses only. */
  allowPrivate: boolean;
  timeoutMs?: number;
}

function client(options: MoneroWalletOptions): JsonRpcClient {
  const url = `${options.rpcUrl.replace(/\/+$/, '')}/json_rpc`;
  return new JsonRpcClient(url, {
    batchSize: 1,
    timeoutMs: options.timeoutMs ?? 20_000,
    retryableCodes: RETRYABLE_RPC_CODES,
    untrusted: { allowPrivate: options.allowPrivate },
  });
}

/**
 * The store gave this URL: it must not point the server at its own network (unless allowed). A
 * check before the first call; every call is checked again on its connection (guardedFetch).
 */
export async function assertWalletServerReachable(rpcUrl: string, allowPrivate: boolean): Promise<void> {
  try {
    await assertPublicDestination(rpcUrl, { allowPrivate });
  } catch (error) {
    if (error instanceof BlockedDestinationError) throw new ChainWatcherError(`The Monero wallet server ${error.message}`, false);
    throw error;
  }
}

/** A fresh subaddress for one invoice, labelled with it so the seller's wallet shows which. */
export async function createMoneroSubaddress(options: MoneroWalletOptions, label: string): Promise<{ address: string; index: number }> {
  const [created] = await client(options).call('create_address', [{ account_index: 0, label }], createdAddress);
  return { address: created!.address, index: created!.address_index };
}

export class MoneroWalletWatcher implements ChainWatcher {
  private readonly rpc: JsonRpcClient;

  constructor(
    options: MoneroWalletOptions,
    private readonly subaddressIndex: number,
  ) {
    this.rpc = client(options);
  }

  /** The wallet keeps its own sync height: nothing to carry between polls. */
  async startCursor(): Promise<ChainCursor | null> {
    return null;
  }

  async observe(): Promise<ObservationResult> {
    const [listed] = await this.rpc.call(
      'get_transfers',
      [{ in: true, pool: true, account_index: 0, subaddr_indices: [this.subaddressIndex] }],
      transfers,
    );
    const byTx = new Map<string, PaymentObservation>();
    const add = (t: z.infer<typeof transfer>, pooled: boolean) => {
      if (t.subaddr_index.major !== 0 || t.subaddr_index.minor !== this.subaddressIndex) return;
      const seen = byTx.get(t.txid);
      const observation: PaymentObservation = {
        txid: t.txid,
        amount: (seen?.amount ?? 0n) + BigInt(t.amount),
        // Locked money never counts as confirmed: the watch ends with it flagged for a person.
        confirmations: pooled || (t.unlock_time ?? 0) > 0 ? 0 : (t.confirmations ?? 0),
        blockHeight: pooled ? null : (t.height ?? null),
        ...(t.timestamp && !pooled ? { seenAt: new Date(t.timestamp * 1000).toISOString() } : {}),
      };
      byTx.set(t.txid, observation);
    };
    for (const t of listed!.in ?? []) add(t, false);
    // A transfer the wallet lists as mined is not counted again from the pool.
    const mined = new Set((listed!.in ?? []).map((t) => t.txid));
    for (const t of listed!.pool ?? []) if (!mined.has(t.txid)) add(t, true);
    return { observations: [...byTx.values()].sort(byBlock), cursor: null };
  }
}
