import { z } from 'zod';
import { ChainWatcherError, type UntrustedServer, chainRequest, decodeBody, responseText } from './chain-observation';

const rpcResponse = z.object({
  id: z.union([z.number(), z.string(), z.null()]),
  result: z.unknown().optional(),
  error: z.object({ code: z.number(), message: z.string() }).optional(),
});
type RpcResponse = z.infer<typeof rpcResponse>;
// A node may answer a whole batch with one error object instead of an array.
const rpcBody = z.union([z.array(rpcResponse), rpcResponse]);

export interface JsonRpcClientOptions {
  batchSize: number;
  timeoutMs: number;
  /** Error codes meaning the node is busy or behind, not the request wrong. */
  retryableCodes: ReadonlySet<number>;
  /** A store's own server: guarded (public addresses only, no redirects), its answers not echoed in errors. */
  untrusted?: UntrustedServer;
}

/** A JSON-RPC 2.0 endpoint (EVM and Solana nodes), called in batches, every answer checked. */
function decodeQuietly(text: string, url: string) {
  try {
    return decodeBody(rpcBody, text, url);
  } catch {
    throw new ChainWatcherError(`${url} did not answer as a JSON-RPC server`, false);
  }
}

export class JsonRpcClient {
  private nextId = 1;

  constructor(
    private readonly rpcUrl: string,
    private readonly options: JsonRpcClientOptions,
  ) {}

  /** One method over many parameter lists (positional, or named as Monero takes them), in batches, answers in request order. */
  async call<T>(method: string, paramLists: readonly (unknown[] | Record<string, unknown>)[], schema: z.ZodType<T>): Promise<T[]> {
    const results: T[] = [];
    for (let start = 0; start < paramLists.length; start += this.options.batchSize) {
      const requests = paramLists
        .slice(start, start + this.options.batchSize)
        .map((params) => ({ jsonrpc: '2.0', id: this.nextId++, method, params }));
      const body = JSON.stringify(requests.length === 1 ? requests[0] : requests);
      const response = await chainRequest(
        this.rpcUrl,
        { method: 'POST', headers: { 'content-type': 'application/json' }, body },
        this.options.timeoutMs,
        { untrusted: this.options.untrusted },
      );
      const text = await responseText(response, this.rpcUrl);
      const answer = this.options.untrusted ? decodeQuietly(text, this.rpcUrl) : decodeBody(rpcBody, text, this.rpcUrl);
      const byId = new Map<RpcResponse['id'], RpcResponse>((Array.isArray(answer) ? answer : [answer]).map((a) => [a.id, a]));
      for (const request of requests) {
        // A node may answer a whole batch with one error (id null); never one result for many.
        const reply = byId.get(request.id) ?? (!Array.isArray(answer) && answer.error && answer.id === null ? answer : undefined);
        if (!reply) throw new ChainWatcherError(`${this.rpcUrl} left ${method} #${request.id} of a batch unanswered`, true);
        if (reply.error) {
          const { code, message } = reply.error;
          throw new ChainWatcherError(
            `${method} failed at ${this.rpcUrl}: ${code} ${message}`,
            this.options.retryableCodes.has(code) || (code >= 500 && code < 600),
          );
        }
        const parsed = schema.safeParse(reply.result);
        if (!parsed.success)
          throw new ChainWatcherError(
            `${method} at ${this.rpcUrl} answered an unexpected shape: ${parsed.error.message.slice(0, 300)}`,
            false,
          );
        results.push(parsed.data);
      }
    }
    return results;
  }
}
