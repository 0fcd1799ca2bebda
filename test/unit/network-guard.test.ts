import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildConnector } from 'undici';
import { ChainWatcherError, chainRequest } from '../../src/gateways/crypto/chain-observation';
import { callDynamicWebhook, PermanentDeliveryError } from '../../src/orders/dynamic-webhook';
import {
  assertPublicDestination,
  BlockedDestinationError,
  guardedFetch,
  publicOnlyAgent,
  type ResolveAddresses,
  UnresolvableDestinationError,
} from '../../src/webhooks/network-guard';
import { PermanentNotificationError, sendNotification } from '../../src/webhooks/notifications';
import { startWebhookReceiver } from '../fakes/webhook-receiver';

/** A public address the tests name but never reach: the dialler below stands in for it on loopback. */
const PUBLIC = '93.184.215.14';

/**
 * Opens the guard's connections, recording each; only addresses given a loopback stand-in are
 * connected (to that stand-in), anything else fails without a packet sent.
 */
function loopbackDialler(standIns: Record<string, number> = {}) {
  const real = buildConnector({});
  const dialled: { hostname: string; port: string; servername: string | null }[] = [];
  const dial: buildConnector.connector = (target, callback) => {
    dialled.push({ hostname: target.hostname, port: target.port, servername: target.servername ?? null });
    const port = standIns[target.hostname];
    if (port === undefined) return callback(new Error(`the test dials no ${target.hostname}`), null);
    real({ ...target, hostname: '127.0.0.1', port: String(port) }, callback);
  };
  return { dial, dialled };
}

/** A server standing in for a public host: answers every request, then closes the connection. */
async function startStandIn(reply: { status: number; headers?: Record<string, string> } = { status: 200 }) {
  const hosts: string[] = [];
  const server = http.createServer((req, res) => {
    hosts.push(req.headers.host ?? '');
    res.writeHead(reply.status, { connection: 'close', ...reply.headers }).end('public');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return { port: (server.address() as AddressInfo).port, hosts, close };
}

let inside: Awaited<ReturnType<typeof startWebhookReceiver>>;
let insideV6: Awaited<ReturnType<typeof startWebhookReceiver>>;
let port: string;
beforeAll(async () => {
  // What an attacker would aim at: services on the server's own loopback (v4 and v6).
  inside = await startWebhookReceiver();
  insideV6 = await startWebhookReceiver(undefined, undefined, '::1');
  port = new URL(inside.url).port;
});
afterAll(async () => {
  await inside.close();
  await insideV6.close();
});
afterEach(() => {
  expect(inside.received).toHaveLength(0);
  expect(insideV6.received).toHaveLength(0);
});

const post = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"hello":"world"}' };

describe('guardedFetch', () => {
  it('refuses loopback, private, link-local (metadata), CGNAT, unique-local and mapped addresses before connecting', async () => {
    const refused: [string, RegExp][] = [
      [`http://127.0.0.1:${port}/hooks`, /^127\.0\.0\.1 is a loopback address/],
      [`http://localhost:${port}/hooks`, /^localhost resolves to (127\.0\.0\.1|::1) \(loopback\)/],
      [insideV6.url, /^::1 is a loopback address/],
      [`http://10.1.2.3:${port}/hooks`, /^10\.1\.2\.3 is a private address/],
      ['https://192.168.0.10/hooks', /private/],
      ['http://169.254.169.254/latest/meta-data/iam/', /^169\.254\.169\.254 is a linkLocal address/],
      ['http://100.64.0.1/', /carrierGradeNat/],
      ['http://[fd12:3456::1]/', /uniqueLocal/],
      ['http://[fe80::1]/', /linkLocal/],
      [`http://[::ffff:127.0.0.1]:${port}/hooks`, /loopback/],
      ['http://[::ffff:169.254.169.254]/', /linkLocal/],
      [`http://0.0.0.0:${port}/hooks`, /unspecified/],
      // 2130706433 is 127.0.0.1 written as one number; URL parsing turns it into the address.
      [`http://2130706433:${port}/hooks`, /^127\.0\.0\.1 is a loopback address/],
    ];
    const { dial, dialled } = loopbackDialler();
    const dispatcher = publicOnlyAgent({ dial });
    try {
      for (const [url, reason] of refused) {
        await expect(guardedFetch(url, post, { allowPrivate: false, dispatcher })).rejects.toThrow(reason);
        await expect(guardedFetch(url, post, { allowPrivate: false, dispatcher })).rejects.toBeInstanceOf(BlockedDestinationError);
      }
      expect(dialled).toEqual([]);
    } finally {
      await dispatcher.close();
    }
  });

  it('refuses loopback through the shared agent that production uses, by literal and by name', async () => {
    for (const url of [inside.url, inside.url.replace('127.0.0.1', 'localhost'), insideV6.url]) {
      await expect(guardedFetch(url, post, { allowPrivate: false })).rejects.toBeInstanceOf(BlockedDestinationError);
    }
  });

  it('refuses a name whose answers mix public and private addresses', async () => {
    const { dial, dialled } = loopbackDialler();
    const dispatcher = publicOnlyAgent({ resolve: async () => [PUBLIC, '10.0.0.5'], dial });
    try {
      await expect(guardedFetch('http://mixed.example/hooks', post, { allowPrivate: false, dispatcher })).rejects.toThrow(
        'mixed.example resolves to 10.0.0.5 (private)',
      );
      expect(dialled).toEqual([]);
    } finally {
      await dispatcher.close();
    }
  });

  it('connects to the address it checked: a name that turns to loopback after the check never reaches loopback', async () => {
    const standIn = await startStandIn();
    // Public on the first question, loopback on every later one (DNS rebinding).
    const answers: string[] = [];
    const resolve: ResolveAddresses = async () => {
      answers.push(answers.length === 0 ? PUBLIC : '127.0.0.1');
      return [answers.at(-1)!];
    };
    const { dial, dialled } = loopbackDialler({ [PUBLIC]: standIn.port });
    const dispatcher = publicOnlyAgent({ resolve, dial });
    const url = `http://rebind.example:${port}/hooks`;
    try {
      const response = await guardedFetch(url, post, { allowPrivate: false, dispatcher });
      expect([response.status, await response.text()]).toEqual([200, 'public']);
      // One question per connection, and the connection went to its answer.
      expect(answers).toEqual([PUBLIC]);
      expect(dialled).toEqual([{ hostname: PUBLIC, port, servername: null }]);
      expect(standIn.hosts).toEqual([`rebind.example:${port}`]);
      // The stand-in closed the connection: the next request asks again, hears loopback, and stops.
      const again = guardedFetch(url, post, { allowPrivate: false, dispatcher });
      await expect(again).rejects.toThrow('rebind.example resolves to 127.0.0.1 (loopback)');
      expect(answers).toEqual([PUBLIC, '127.0.0.1']);
      expect(dialled).toHaveLength(1);
    } finally {
      await dispatcher.close();
      await standIn.close();
    }
  });

  it('leaves no window between a pre-flight check and the connection', async () => {
    let asked = 0;
    const resolve: ResolveAddresses = async () => (asked++ === 0 ? [PUBLIC] : ['127.0.0.1']);
    const url = `http://rebind.example:${port}/hooks`;
    // A check followed by a separate connection would have let the second answer through.
    await expect(assertPublicDestination(url, { allowPrivate: false, resolve })).resolves.toBeUndefined();
    const { dial, dialled } = loopbackDialler();
    const dispatcher = publicOnlyAgent({ resolve, dial });
    try {
      await expect(guardedFetch(url, post, { allowPrivate: false, dispatcher })).rejects.toBeInstanceOf(BlockedDestinationError);
      expect(dialled).toEqual([]);
    } finally {
      await dispatcher.close();
    }
  });

  it('never follows a redirect, whatever the mode', async () => {
    const standIn = await startStandIn({ status: 302, headers: { location: inside.url } });
    const { dial } = loopbackDialler({ [PUBLIC]: standIn.port });
    const dispatcher = publicOnlyAgent({ resolve: async () => [PUBLIC], dial });
    try {
      const guarded = await guardedFetch(`http://public.example:${port}/hooks`, post, { allowPrivate: false, dispatcher });
      expect([guarded.status, guarded.headers.get('location')]).toEqual([302, inside.url]);
      const allowed = await guardedFetch(`http://127.0.0.1:${standIn.port}/hooks`, post, { allowPrivate: true });
      expect(allowed.status).toBe(302);
      expect(standIn.hosts).toHaveLength(2);
    } finally {
      await dispatcher.close();
      await standIn.close();
    }
  });

  it('keeps the host name for TLS (SNI and the certificate check) while dialling the checked address', async () => {
    const { dial, dialled } = loopbackDialler();
    const dispatcher = publicOnlyAgent({ resolve: async () => [PUBLIC], dial });
    try {
      await expect(guardedFetch('https://shop.example/hooks', post, { allowPrivate: false, dispatcher })).rejects.toThrow();
      // Port '' is the scheme's default (443).
      expect(dialled[0]).toEqual({ hostname: PUBLIC, port: '', servername: 'shop.example' });
    } finally {
      await dispatcher.close();
    }
  });

  it('calls only http(s), says when a name does not resolve, and lets the operator reach private networks', async () => {
    for (const url of ['file:///etc/passwd', 'data:text/plain,hello', 'ftp://127.0.0.1/']) {
      await expect(guardedFetch(url, { method: 'GET' }, { allowPrivate: true })).rejects.toBeInstanceOf(BlockedDestinationError);
    }
    const dispatcher = publicOnlyAgent({
      resolve: async () => {
        throw Object.assign(new Error('getaddrinfo ENOTFOUND nowhere.example'), { code: 'ENOTFOUND' });
      },
    });
    try {
      const unresolved = guardedFetch('http://nowhere.example/', post, { allowPrivate: false, dispatcher });
      await expect(unresolved).rejects.toBeInstanceOf(UnresolvableDestinationError);
    } finally {
      await dispatcher.close();
    }
    const receiver = await startWebhookReceiver();
    try {
      expect((await guardedFetch(receiver.url, post, { allowPrivate: true })).status).toBe(200);
      expect(receiver.received).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });
});

describe('callers of the guard', () => {
  it('dynamic deliveries and charge webhooks: a refused address is a permanent failure', async () => {
    const call = () => callDynamicWebhook({ url: inside.url, secret: 's', idempotencyKey: 'k', payload: {}, allowPrivate: false });
    await expect(call()).rejects.toBeInstanceOf(PermanentDeliveryError);
    await expect(call()).rejects.toThrow('loopback');
  });

  it('notification webhooks: a refused address is permanent', async () => {
    const config = { from: 'shop@example.com', discordApiBase: `http://127.0.0.1:${port}` };
    const message = { title: 't', lines: ['l'] };
    const settings = { webhook_url: 'https://discord.com/api/webhooks/1/token' };
    const sent = sendNotification('discord', settings, message, config, { allowPrivate: false });
    await expect(sent).rejects.toBeInstanceOf(PermanentNotificationError);
  });

  it("a store's wallet server: a refused address is a chain error not worth retrying", async () => {
    const refused = chainRequest(`http://localhost:${port}/json_rpc`, post, 5_000, { untrusted: { allowPrivate: false } });
    await expect(refused).rejects.toBeInstanceOf(ChainWatcherError);
    await expect(chainRequest(inside.url, post, 5_000, { untrusted: { allowPrivate: false } })).rejects.toMatchObject({ retryable: false });
  });
});
