import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

export class BlockedDestinationError extends Error {}

/**
 * Refuses to send to loopback, private, link-local and other non-public addresses, judged
 * on what the host name resolves to now, not on the URL's text (a public name can point at
 * 127.0.0.1). Operators running receivers on their own network opt out.
 */
export async function assertPublicDestination(url: string, options: { allowPrivate: boolean }): Promise<void> {
  if (options.allowPrivate) return;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  const addresses = ipaddr.isValid(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  for (const address of addresses) {
    const parsed = ipaddr.process(address);
    const range = parsed.range();
    if (range !== 'unicast') throw new BlockedDestinationError(`${host} resolves to ${address} (${range}); only public addresses receive webhooks`);
  }
}
