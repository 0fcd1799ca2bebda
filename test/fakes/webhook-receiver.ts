import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  at: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A merchant's webhook receiver on loopback (127.0.0.1, or ::1); `answer` decides each reply's status. */
export async function startWebhookReceiver(
  answer: (count: number) => number = () => 200,
  delayMs: (count: number) => number = () => 0,
  host: '127.0.0.1' | '::1' = '127.0.0.1',
) {
  const received: ReceivedWebhook[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ at: Date.now(), headers: req.headers, body });
      const count = received.length;
      setTimeout(() => {
        if (!res.destroyed) res.writeHead(answer(count)).end();
      }, delayMs(count));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${(server.address() as AddressInfo).port}/hooks`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
