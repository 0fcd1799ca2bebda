/**
 * What a request log line may say about the URL. Query values that are credentials are
 * replaced: our signed file URLs' `signature` (and S3's X-Amz-* ones), Discord's OAuth2 `code`
 * and `state` (a one-time link token), and any token, secret, key or password a client puts
 * in a query string. The only secrets in paths are a buyer's: the order token (`fco_…`) and the
 * signature of an invoice's hosted checkout page (Telegram's webhook secret comes in a header).
 */
const SECRET_PARAMS = new Set([
  'signature',
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
  'code',
  'state',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'secret',
  'client_secret',
  'key',
  'api_key',
  'apikey',
  'password',
  'invite',
]);

export const REDACTED = '[redacted]';

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/** `signature`, and the extended parser's `signature[]` / `signature[x]` forms of it. */
function isSecretParam(name: string): boolean {
  return SECRET_PARAMS.has(decodeName(name).replace(/\[.*$/, '').toLowerCase());
}

/** A buyer's order token anywhere in a path; an invoice page's signature after its id. */
function redactPath(path: string): string {
  return path.replace(/\/fco_[^/?]+/g, `/fco_${REDACTED}`).replace(/^(\/checkout\/[^/]+\/invoices\/[^/]+\/)[^/?]+/, `$1${REDACTED}`);
}

/** The URL with the path's buyer secrets and every secret parameter's value replaced; the rest as sent. */
export function redactUrl(url: string): string {
  const start = url.indexOf('?');
  if (start === -1) return redactPath(url);
  const pairs = url
    .slice(start + 1)
    .split('&')
    .map((pair) => {
      const name = pair.split('=', 1)[0]!;
      return isSecretParam(name) ? `${name}=${REDACTED}` : pair;
    });
  return `${redactPath(url.slice(0, start))}?${pairs.join('&')}`;
}

/** The parsed query the same way (a copy: the request's own query is left alone). */
export function redactQuery(query: unknown): unknown {
  if (!query || typeof query !== 'object') return query;
  return Object.fromEntries(Object.entries(query).map(([name, value]) => [name, isSecretParam(name) ? REDACTED : value]));
}

/** pino-http's `req` serializer: runs on every request line and on every `req.log` line. */
export function redactRequest<T extends { url?: string; query?: unknown }>(req: T): T {
  if (typeof req.url === 'string') req.url = redactUrl(req.url);
  if ('query' in req) req.query = redactQuery(req.query);
  return req;
}

/** pino-http's `res` serializer: a redirect to a buyer's page must not put its secret in the log either. */
export function redactResponse<T extends { headers?: Record<string, unknown> }>(res: T): T {
  const location = res.headers?.location;
  if (typeof location === 'string') res.headers = { ...res.headers, location: redactUrl(location) };
  return res;
}
