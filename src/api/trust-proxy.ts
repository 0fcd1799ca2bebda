import { isIP } from 'node:net';
import type { Request } from 'express';

/**
 * Which proxies' X-Forwarded-For the API believes (`TRUST_PROXY`), in the forms Express accepts:
 * a hop count (`0` trusts none, `1` the nearest proxy, …) or a comma-separated list of
 * addresses, CIDR ranges and the names `loopback`, `linklocal`, `uniquelocal`. Anything else
 * is refused at startup: a mistyped list would silently make every buyer share the proxy's address.
 */
export type TrustProxy = number | string[];

const NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function validEntry(entry: string): boolean {
  if (NAMES.has(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  // A dotted netmask (10.0.0.0/255.0.0.0) as proxy-addr takes it, or a prefix length.
  if (family === 4 && isIP(prefix) === 4) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** The parsed setting, or an error message naming what is wrong. */
export function parseTrustProxy(text: string): { value: TrustProxy } | { error: string } {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return { value: Number(trimmed) };
  const entries = trimmed
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const bad = entries.filter((entry) => !validEntry(entry));
  if (entries.length === 0 || bad.length > 0)
    return {
      error: `expected a hop count, or a comma-separated list of addresses, CIDR ranges, loopback, linklocal or uniquelocal; not ${bad.length > 0 ? bad.map((b) => JSON.stringify(b)).join(', ') : 'empty'}`,
    };
  return { value: entries };
}

type TrustFn = (address: string, hop: number) => boolean;

/**
 * The buyer's address, as Express resolves it through the trusted proxies, or null when every
 * address on the way is a trusted proxy's (a proxy that sent no X-Forwarded-For, or a call
 * straight from one): a proxy's own address is nobody's, and counted, stored or blacklisted as a
 * buyer's it would stand for every buyer behind it.
 */
export function buyerAddress(req: Request): string | null {
  const ip = req.ip;
  if (!ip) return null;
  const trust = req.app.get('trust proxy fn') as TrustFn;
  // req.ips lists the forwarded addresses Express walked past, so req.ip is hop number req.ips.length.
  return trust(ip, req.ips.length) ? null : ip;
}
