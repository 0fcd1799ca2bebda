import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * CoinGecko's GET /simple/price on loopback. Prices are given as the JSON text CoinGecko
 * would send (e.g. '1.23e-5'), so tests control exactly the number our parser sees; like
 * CoinGecko, ids or currencies it doesn't price are left out of the answer, not errors.
 */
export interface RecordedPriceRequest {
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
}

export async function startCoinGecko(prices: Record<string, Record<string, string>> = {}) {
  const requests: RecordedPriceRequest[] = [];
  const failures: number[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://coingecko.test');
    requests.push({ path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers });
    const failure = failures.shift();
    if (failure !== undefined) {
      res
        .writeHead(failure, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: { error_code: failure, error_message: `injected ${failure}` } }));
      return;
    }
    if (url.pathname !== '/api/v3/simple/price') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'Not Found' }));
      return;
    }
    const ids = (url.searchParams.get('ids') ?? '').split(',').filter(Boolean);
    const currencies = (url.searchParams.get('vs_currencies') ?? '').split(',').filter(Boolean);
    // Built as text so exponent forms reach the client as CoinGecko wrote them.
    const entries = ids
      .filter((id) => prices[id])
      .map((id) => {
        const quoted = currencies.filter((vs) => prices[id]![vs] !== undefined).map((vs) => `${JSON.stringify(vs)}:${prices[id]![vs]}`);
        return `${JSON.stringify(id)}:{${quoted.join(',')}}`;
      });
    res.writeHead(200, { 'content-type': 'application/json' }).end(`{${entries.join(',')}}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    /** API root, like https://api.coingecko.com/api/v3. */
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3`,
    requests,
    prices,
    /** The next request answers `status` instead. */
    failNext(status: number) {
      failures.push(status);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
