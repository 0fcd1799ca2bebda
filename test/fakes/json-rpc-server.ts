import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the fakes' JSON-RPC servers record: one entry per call, batches flattened. */
export interface RecordedRpcCall {
  method: string;
  params: unknown[];
}

/** An HTTP status for the next request, or a JSON-RPC error for the next call (of `method`, if given). */
export type RpcFailure = { status: number } | { rpcError: { code: number; message: string }; method?: string };

export type RpcAnswer = { result: unknown } | { error: { code: number; message: string } };

interface RpcRequest {
  jsonrpc?: unknown;
  id?: number | string | null;
  method?: unknown;
  params?: unknown;
}

export const rpcError = (code: number, message: string) => ({ code, message });

/**
 * A JSON-RPC 2.0 server on loopback as nodes run it: single and batch requests, the spec's
 * error codes for malformed ones, and injectable failures. `answer` is the chain's logic.
 */
export async function startJsonRpcServer(answer: (method: string, params: unknown[], named: Record<string, unknown>) => RpcAnswer) {
  const calls: RecordedRpcCall[] = [];
  const failures: RpcFailure[] = [];
  let httpRequests = 0;

  const reply = (request: RpcRequest) => {
    const id = request.id ?? null;
    if (request.jsonrpc !== '2.0' || typeof request.method !== 'string')
      return { jsonrpc: '2.0', id, error: rpcError(-32600, 'Invalid request') };
    const params = Array.isArray(request.params) ? request.params : [];
    // Monero's wallet server takes named parameters.
    const named =
      request.params && typeof request.params === 'object' && !Array.isArray(request.params)
        ? (request.params as Record<string, unknown>)
        : {};
    calls.push({ method: request.method, params: Array.isArray(request.params) ? params : [named] });
    const at = failures.findIndex((f) => 'rpcError' in f && (f.method === undefined || f.method === request.method));
    const injected = at < 0 ? undefined : failures.splice(at, 1)[0];
    if (injected && 'rpcError' in injected) return { jsonrpc: '2.0', id, error: injected.rpcError };
    return { jsonrpc: '2.0', id, ...answer(request.method, params, named) };
  };

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      httpRequests += 1;
      const respond = (status: number, body: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      const at = failures.findIndex((f) => 'status' in f);
      const failure = at < 0 ? undefined : failures.splice(at, 1)[0];
      if (failure && 'status' in failure)
        return respond(failure.status, { jsonrpc: '2.0', id: null, error: rpcError(-32000, `injected HTTP ${failure.status}`) });
      if (req.method !== 'POST') return respond(405, { jsonrpc: '2.0', id: null, error: rpcError(-32600, 'POST only') });
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        return respond(200, { jsonrpc: '2.0', id: null, error: rpcError(-32700, 'Parse error') });
      }
      if (!Array.isArray(body)) return respond(200, reply(body as RpcRequest));
      if (body.length === 0) return respond(200, { jsonrpc: '2.0', id: null, error: rpcError(-32600, 'Invalid request') });
      return respond(200, (body as RpcRequest[]).map(reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    calls,
    httpRequests: () => httpRequests,
    /** Queues a failure: see RpcFailure. */
    failNext(failure: RpcFailure) {
      failures.push(failure);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
