import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedDelivery {
  body: string;
  signature: string | undefined;
  idempotencyKey: string | undefined;
  /** W3C trace context, when the caller traces. */
  traceparent: string | undefined;
}

/**
 * A seller's dynamic-delivery endpoint on loopback. It records what it receives and
 * answers with the next scripted reply; the last reply repeats. A test changes `replies` to
 * fix (or break) the endpoint.
 */
export interface SellerReply {
  status: number;
  body: string;
  contentType?: string;
  delayMs?: number;
  /** Answered only once this settles (after `delayMs`): the test decides how long the seller takes. */
  until?: Promise<unknown>;
}

export async function startSellerEndpoint(replies: SellerReply[]) {
  const received: ReceivedDelivery[] = [];
  let call = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({
        body,
        signature: req.headers.signature as string | undefined,
        idempotencyKey: req.headers['idempotency-key'] as string | undefined,
        traceparent: req.headers.traceparent as string | undefined,
      });
      const reply = replies[Math.min(call, replies.length - 1)]!;
      call += 1;
      const answer = () => {
        res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'text/plain' });
        res.end(reply.body);
      };
      setTimeout(() => void (reply.until ?? Promise.resolve()).then(answer, answer), reply.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/deliver`,
    received,
    replies,
    /** SellApp's check: hex HMAC-SHA256 of the raw body, compared in constant time. */
    verify(delivery: ReceivedDelivery, secret: string): boolean {
      const expected = Buffer.from(createHmac('sha256', secret).update(delivery.body).digest('hex'));
      const given = Buffer.from(delivery.signature ?? '');
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
