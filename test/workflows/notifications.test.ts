import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';
import { startSmtpSink } from '../fakes/smtp-sink';

/** A stand-in for Discord's webhook endpoint: records POST /api/webhooks/<id>/<token>. */
async function startFakeDiscord() {
  const posts: { path: string; body: { username?: string; embeds?: { title: string; description: string }[] } }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      posts.push({ path: req.url ?? '', body: JSON.parse(body) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    posts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let h: Harness;
let discord: Awaited<ReturnType<typeof startFakeDiscord>>;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let store: Awaited<ReturnType<Harness['createStore']>>;
beforeAll(async () => {
  discord = await startFakeDiscord();
  smtp = await startSmtpSink();
  h = await startHarness({ worker: true, env: { DISCORD_API_BASE: discord.base, SMTP_URL: smtp.url, SMTP_FROM: 'shop@sellflow.test' } });
  store = await h.createStore();
});
afterAll(async () => {
  await h.close();
  await discord.close();
  await smtp.close();
});

const api = (method: 'get' | 'post' | 'delete', path: string, body?: object) =>
  request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);

describe('store notifications', () => {
  it('sends subscribed events to a Discord channel and by e-mail', async () => {
    const hook = await api('post', '/notifications', {
      kind: 'discord',
      webhook_url: 'https://discord.com/api/webhooks/123/abc-TOKEN',
      events: ['product.created'],
    });
    expect(hook.status).toBe(201);
    expect(hook.body.data.target).toBe('…-TOKEN');
    await api('post', '/notifications', { kind: 'email', to: ['owner@shop.test'], events: ['product.created'] }).expect(201);
    const product = await api('post', '/products', { title: 'Notify me', description: 'd', visibility: 'PUBLIC' });
    await waitFor(
      () => Promise.resolve(discord.posts.length + smtp.mails.length),
      (n) => n >= 2,
    );
    expect(discord.posts[0]!.path).toBe('/api/webhooks/123/abc-TOKEN');
    expect(discord.posts[0]!.body.embeds![0]!.title).toBe('product.created');
    expect(discord.posts[0]!.body.embeds![0]!.description).toContain(`id: ${product.body.data.id}`);
    expect(smtp.mails[0]).toMatchObject({ from: 'shop@sellflow.test', to: ['owner@shop.test'] });
    expect(smtp.mails[0]!.raw).toContain('Subject: product.created');
  });

  it('sends a test notification on demand, and validates channels', async () => {
    const channel = (await api('post', '/notifications', { kind: 'email', to: ['ops@shop.test'], events: ['order.paid'] })).body.data;
    const before = smtp.mails.length;
    expect((await api('post', `/notifications/${channel.id}/test`)).body).toEqual({ data: { sent: true } });
    expect(smtp.mails.length).toBe(before + 1);
    expect(smtp.mails.at(-1)!.raw).toContain('Sellflow test notification');
    expect(
      (
        await api('post', '/notifications', {
          kind: 'discord',
          webhook_url: 'https://evil.example/api/webhooks/1/x',
          events: ['order.paid'],
        })
      ).status,
    ).toBe(422);
    expect((await api('post', '/notifications', { kind: 'email', to: ['not an address'], events: ['order.paid'] })).body.error.param).toBe(
      'to.0',
    );
  });
});
