import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector, type Dispatcher, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';

/** The destination is not a public address: never worth retrying. */
export class BlockedDestinationError extends Error {
  override readonly name = 'BlockedDestinationError';
}

/** The host name did not resolve (now): worth retrying. */
export class UnresolvableDestinationError extends Error {
  override readonly name = 'UnresolvableDestinationError';
}

/** Every address a host name resolves to (tests inject their own). */
export type ResolveAddresses = (hostname: string) => Promise<string[]>;

const systemResolve: ResolveAddresses = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Why an address may not be reached, or null for a public one. Only global unicast passes:
 * loopback, private, link-local (169.254.169.254, the cloud metadata service), CGNAT, unique-local
 * and every reserved range are refused; IPv4-mapped IPv6 (::ffff:127.0.0.1) is judged as IPv4.
 */
export function refusalFor(host: string, address: string): BlockedDestinationError | null {
  const range = ipaddr.process(address).range();
  if (range === 'unicast') return null;
  const what = host === address ? `${address} is a ${range} address` : `${host} resolves to ${address} (${range})`;
  return new BlockedDestinationError(`${what}; only public addresses are reached`);
}

async function checkedAddresses(hostname: string, resolve: ResolveAddresses): Promise<string[]> {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    const refusal = refusalFor(host, host);
    if (refusal) throw refusal;
    return [host];
  }
  let addresses: string[];
  try {
    addresses = await resolve(host);
  } catch (error) {
    throw new UnresolvableDestinationError(`Cannot resolve ${host}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (addresses.length === 0) throw new UnresolvableDestinationError(`Cannot resolve ${host}: no address`);
  // One private answer among public ones refuses the name: which one a connection gets is not ours to choose.
  for (const address of addresses) {
    const refusal = refusalFor(host, address);
    if (refusal) throw refusal;
  }
  return addresses;
}

/**
 * A pre-flight check (no connection made): what the host name resolves to now. The connection
 * itself is checked again by guardedFetch, since a name can resolve differently a moment later.
 */
export async function assertPublicDestination(url: string, options: { allowPrivate: boolean; resolve?: ResolveAddresses }): Promise<void> {
  if (options.allowPrivate) return;
  await checkedAddresses(new URL(url).hostname, options.resolve ?? systemResolve);
}

export interface PublicOnlyOptions {
  resolve?: ResolveAddresses;
  /** Opens the socket to the checked address; tests pass one that never leaves loopback. */
  dial?: buildConnector.connector;
}

/**
 * An undici dispatcher whose every connection is resolved, checked and then opened to the very
 * address that was checked (the name is never resolved twice, so no DNS-rebinding window). TLS
 * still verifies the certificate against the host name.
 */
export function publicOnlyAgent(options: PublicOnlyOptions = {}): Agent {
  const resolve = options.resolve ?? systemResolve;
  const dial = options.dial ?? buildConnector({});
  const connect: buildConnector.connector = (target, callback) => {
    checkedAddresses(target.hostname, resolve).then(
      ([address]) => {
        // TLS names the host, not the address: SNI and the certificate check use the name.
        const named = target.protocol === 'https:' && !target.servername && !isIP(target.hostname.replace(/^\[|\]$/g, ''));
        dial({ ...target, hostname: address!, ...(named ? { servername: target.hostname } : {}) }, callback);
      },
      (error: Error) => callback(error, null),
    );
  };
  return new Agent({ connect });
}

let shared: Agent | undefined;

export interface GuardedFetchOptions {
  /** WEBHOOKS_ALLOW_PRIVATE_NETWORKS: the operator's receivers live on their own network. */
  allowPrivate: boolean;
  /** Another publicOnlyAgent (tests inject name resolution and dialling); one shared agent otherwise. */
  dispatcher?: Dispatcher;
}

/** A call's own timeout, cut short too when the activity making it is cancelled. */
export function withCancellation(timeout: AbortSignal, cancelled: AbortSignal | undefined): AbortSignal {
  return cancelled ? AbortSignal.any([timeout, cancelled]) : timeout;
}

/**
 * The one way to call a URL a store configured (webhook endpoints, dynamic deliveries, charge
 * webhooks, Monero wallet servers, notification webhooks): only http(s), never a redirect
 * followed, and unless the operator allows private networks (WEBHOOKS_ALLOW_PRIVATE_NETWORKS)
 * only public addresses, checked on the connection itself. A refusal throws
 * BlockedDestinationError before anything is sent; an unresolvable name UnresolvableDestinationError.
 */
export async function guardedFetch(url: string, init: RequestInit, options: GuardedFetchOptions): Promise<Response> {
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new BlockedDestinationError(`${target.protocol} URLs are not called; only http and https`);
  }
  // The undici package's own fetch with its own Agent: Node's built-in fetch (undici too) would
  // take the Agent, but keeps only errors of its own realm as the cause, and Jest runs tests in another.
  const request = { ...init, redirect: 'manual' } as UndiciRequestInit;
  if (!options.allowPrivate) request.dispatcher = options.dispatcher ?? (shared ??= publicOnlyAgent());
  try {
    return (await undiciFetch(target, request)) as unknown as Response;
  } catch (error) {
    const cause = error instanceof Error ? error.cause : undefined;
    if (cause instanceof BlockedDestinationError || cause instanceof UnresolvableDestinationError) throw cause;
    throw error;
  }
}
