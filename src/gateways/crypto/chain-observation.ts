import { type z } from 'zod';
import { BlockedDestinationError, guardedFetch } from '../../webhooks/network-guard';
import { recordGatewayCall } from '../../observability/metrics';

/**
 * What a chain watcher reports about an invoice address, whatever the chain: the payments it
 * received, how deeply each is confirmed, and where to resume. Everything here is plain data
 * (bigint aside) so a durable workflow can carry a result from one poll to the next.
 */

/** One transaction's worth of value received by the watched address. */
export interface PaymentObservation {
  /** Transaction id (Bitcoin-style txid, or EVM 0x-prefixed transaction hash). */
  txid: string;
  /** Smallest units (satoshi, wei, token base units) the address received in this transaction. */
  amount: bigint;
  /** 0 while in the mempool or after a reorg took it out of its block; 1 once in the tip block. */
  confirmations: number;
  /** Height of the block holding it; null while unconfirmed. */
  blockHeight: number | null;
  /** ISO time of the block holding it, when the chain told us (absent while unconfirmed). */
  seenAt?: string;
}

/**
 * Where a block-scanning watcher stopped. Chains that index addresses (Esplora) need none; EVM
 * nodes can't list an address's payments, so the watcher scans blocks and the caller keeps this.
 */
export interface ChainCursor {
  /** First block the next call scans. */
  nextBlock: number;
}

export interface ObserveOptions {
  /** The previous result's cursor; for the first call, the watcher's startCursor() taken at invoice creation. */
  cursor?: ChainCursor | null;
  /**
   * The previous result's observations. A watcher that doesn't rescan (EVM) rechecks these so
   * their confirmations climb and a reorg can take them back to 0; watchers that see the
   * address's whole history each time ignore them.
   */
  known?: readonly PaymentObservation[];
}

export interface ObservationResult {
  /** Every payment to the address seen so far, oldest block first, unconfirmed last. */
  observations: PaymentObservation[];
  /** Pass to the next call; null when the watcher needs none. */
  cursor: ChainCursor | null;
}

export interface ChainWatcher {
  /** The cursor to keep for an address handed out now (null when the watcher needs none). */
  startCursor(): Promise<ChainCursor | null>;
  observe(address: string, opts?: ObserveOptions): Promise<ObservationResult>;
}

/** A chain API failed us; `retryable` says whether asking again later could help. */
export class ChainWatcherError extends Error {
  override readonly name = 'ChainWatcherError';

  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Rate limits and server faults pass; any other 4xx means the request itself is wrong. */
export const retryableStatus = (status: number): boolean => status === 429 || status >= 500;

/** A server a store configured (Monero's wallet server): `allowPrivate` is WEBHOOKS_ALLOW_PRIVATE_NETWORKS. */
export interface UntrustedServer {
  allowPrivate: boolean;
}

/**
 * fetch() with a deadline, turning network failures and non-2xx answers into
 * ChainWatcherErrors classified for retry.
 */
export async function chainRequest(
  url: string,
  init: RequestInit,
  timeoutMs: number,
  options: { untrusted?: UntrustedServer } = {},
): Promise<Response> {
  let response: Response;
  const started = Date.now();
  try {
    const request = { ...init, signal: AbortSignal.timeout(timeoutMs) };
    // A server a store named (not the operator) goes through the network guard: public addresses only, never a redirect.
    const { untrusted } = options;
    response = untrusted ? await guardedFetch(url, request, { allowPrivate: untrusted.allowPrivate }) : await fetch(url, request);
    recordGatewayCall('chain', response.status, (Date.now() - started) / 1000);
  } catch (error) {
    recordGatewayCall('chain', null, (Date.now() - started) / 1000);
    if (error instanceof BlockedDestinationError) {
      throw new ChainWatcherError(`The server at ${url} is refused: ${error.message}`, false, { cause: error });
    }
    throw new ChainWatcherError(`${init.method ?? 'GET'} ${url} failed: ${error instanceof Error ? error.message : String(error)}`, true, {
      cause: error,
    });
  }
  if (!response.ok) {
    const body = await response.text().catch(() => '');
    // What a store's server answers is not repeated to the store: it may not be theirs to read.
    const shown = options.untrusted ? '' : `: ${body.slice(0, 200)}`;
    throw new ChainWatcherError(`${init.method ?? 'GET'} ${url} answered ${response.status}${shown}`, retryableStatus(response.status));
  }
  return response;
}

/** Reads a 2xx body; a body cut off mid-way is a network fault, so it stays retryable. */
export async function responseText(response: Response, url: string): Promise<string> {
  try {
    return await response.text();
  } catch (error) {
    throw new ChainWatcherError(`reading ${url} failed: ${error instanceof Error ? error.message : String(error)}`, true, { cause: error });
  }
}

/** Parses a 2xx body; a shape we don't know is a misconfigured base URL or API, not worth retrying. */
export function decodeBody<T>(schema: z.ZodType<T>, text: string, url: string): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ChainWatcherError(`${url} did not answer JSON: ${text.slice(0, 200)}`, false);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new ChainWatcherError(`${url} answered an unexpected shape: ${parsed.error.message.slice(0, 300)}`, false);
  return parsed.data;
}

/** Oldest block first, unconfirmed last: the order callers and tests can rely on. */
export function byBlock(a: PaymentObservation, b: PaymentObservation): number {
  return (a.blockHeight ?? Number.MAX_SAFE_INTEGER) - (b.blockHeight ?? Number.MAX_SAFE_INTEGER);
}
