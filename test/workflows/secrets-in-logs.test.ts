import { sql } from 'kysely';
import Stripe from 'stripe';
import request from 'supertest';
import { createLogger } from '../../src/logger';
import { startDiscord, type FakeDiscord } from '../fakes/discord';
import { startWebhookReceiver } from '../fakes/webhook-receiver';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/**
 * Issue 16 item 8: one representative run of the API and the worker, every log line kept (level
 * trace), and none of them holds a key, a webhook secret, a signature or a bot token.
 */
const lines: string[] = [];
const logger = createLogger('trace', 'json', 'sellflow', {
  write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean)),
});

const STRIPE_WEBHOOK_SECRET = 'whsec_logtest4f9a1c2e7b';
const TELEGRAM_WEBHOOK_SECRET = 'tg-hook-secret-log-test-81d3';
let h: Harness;
let discord: FakeDiscord;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
beforeAll(async () => {
  discord = await startDiscord();
  receiver = await startWebhookReceiver();
  h = await startHarness({
    worker: true,
    logger,
    env: {
      DISCORD_API_BASE: discord.apiBase,
      DISCORD_BOT_TOKEN: discord.botToken,
      DISCORD_CLIENT_ID: discord.clientId,
      DISCORD_CLIENT_SECRET: discord.clientSecret,
      TELEGRAM_WEBHOOK_SECRET,
      // Nothing here may leave the machine: platforms nobody fakes point at a closed loopback port.
      TELEGRAM_API_ROOT: 'http://127.0.0.1:9',
      STRIPE_API_BASE: 'http://127.0.0.1:9',
    },
  });
});
afterAll(async () => {
  await h.close();
  await Promise.all([discord.close(), receiver.close()]);
});

/** The secrets the run handles, by name, so a failure says which one leaked. */
const secrets: Record<string, string> = {};
const signatureOf = (url: string) => new URL(url).searchParams.get('signature')!;

describe('the log of a full run', () => {
  it('holds every request and no key, webhook secret, signature or bot token', async () => {
    const store = await h.createStore();
    secrets.liveKey = store.live;
    secrets.testKey = store.test;
    const v2 = (method: 'get' | 'post' | 'put' | 'patch', path: string, body?: object, key = store.live) =>
      request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${key}`).send(body);

    // A key created through the API, then used.
    const issued = await v2('post', '/api-keys', { name: 'ci', mode: 'live', scopes: ['products:read'] }).expect(201);
    secrets.issuedKey = issued.body.data.key;
    await request(h.app).get('/api/v2/products').set('Authorization', `Bearer ${secrets.issuedKey}`).expect(200);
    await v2('get', '/products', undefined, store.test).expect(200);

    // A webhook endpoint (its secret), then events signed with it.
    const endpoint = await v2('post', '/webhooks', { url: receiver.url, events: ['product.created', 'order.completed'] }).expect(201);
    secrets.webhookSecret = endpoint.body.data.secret;

    // An upload through its signed URL, a product that delivers it, an order, and the download.
    const presign = await request(h.app)
      .post('/api/v1/uploads')
      .set('Authorization', `Bearer ${store.live}`)
      .send({ fileName: 'app.zip', contentType: 'application/zip', contentLength: 9 })
      .expect(200);
    secrets.uploadSignature = signatureOf(presign.body.url);
    const upload = new URL(presign.body.url);
    await request(h.app)
      .put(upload.pathname + upload.search)
      .set('Content-Type', 'application/zip')
      .send('zip-bytes')
      .expect(200);
    const deliverable = { types: ['DOWNLOADABLE'], data: { files: [presign.body.key] } };
    const { variantId } = await createVariant(h, store.live, { deliverable });
    const order = { customer_email: 'buyer@example.com', payment_method: 'PAYPAL', product_variants: { [variantId]: { quantity: 1 } } };
    const invoice = await v2('post', '/invoices', order);
    expect(invoice.status).toBe(201);
    await v2('patch', `/invoices/${invoice.body.data.id}/mark-completed`).expect(200);
    const delivered = await waitFor(
      () => v2('get', `/invoices/${invoice.body.data.id}/deliverables`).then((r) => r.body.data),
      (d) => d?.[0]?.deliverable.data.delivered_files.length === 1,
    );
    const downloadUrl = new URL(delivered[0].deliverable.data.delivered_files[0]);
    secrets.downloadSignature = signatureOf(downloadUrl.href);
    const download = await request(h.app)
      .get(downloadUrl.pathname + downloadUrl.search)
      .responseType('blob')
      .expect(200);
    expect(Buffer.from(download.body).toString()).toBe('zip-bytes');

    // What went out to the endpoint was signed: those signatures stay out of the log too.
    const [hook] = await waitFor(
      () => Promise.resolve(receiver.received),
      (r) => r.length >= 1,
    );
    secrets.sentSellSignature = String(hook!.headers['x-sell-signature']).replace(/^t=\d+,v1=/, '');
    secrets.sentSignature = String(hook!.headers.signature);

    // Stripe: keys and the webhook secret saved, then an event signed with the real scheme.
    secrets.stripeLiveKey = 'sk_live_logtest9c1d7e2a4b';
    secrets.stripeTestKey = 'sk_test_logtest3e8f0a6d5c';
    secrets.stripeWebhookSecret = STRIPE_WEBHOOK_SECRET;
    const stripeSettings = {
      secret_key: secrets.stripeLiveKey,
      test_secret_key: secrets.stripeTestKey,
      webhook_secret: STRIPE_WEBHOOK_SECRET,
    };
    await v2('put', '/settings/payment-methods/STRIPE', stripeSettings).expect(200);
    const event = { id: 'evt_logtest', object: 'event', type: 'customer.created', livemode: true, created: 1, data: { object: {} } };
    const payload = JSON.stringify(event);
    const stripeSignature = new Stripe('sk_test_unused').webhooks.generateTestHeaderString({ payload, secret: STRIPE_WEBHOOK_SECRET });
    secrets.stripeSignatureHeader = stripeSignature;
    secrets.stripeSignature = stripeSignature.replace(/^t=\d+,v1=/, '');
    await request(h.app)
      .post(`/webhooks/stripe/${store.slug}`)
      .set('Stripe-Signature', stripeSignature)
      .set('Content-Type', 'application/json')
      .send(payload)
      .expect(200);

    // A community connection with the store's own bot (its token and OAuth2 client secret).
    secrets.botToken = discord.botToken;
    secrets.discordClientSecret = discord.clientSecret;
    const connection = { bot_mode: 'custom', client_secret: discord.clientSecret, bot_token: discord.botToken };
    await v2('put', '/community/connections/discord', { ...connection, client_id: discord.clientId }).expect(200);
    // Discord's OAuth2 redirect (a one-time code and link token) and Telegram's webhook (its secret header).
    secrets.oauthCode = 'oauth-code-logtest-6b2f9d';
    secrets.oauthState = 'link-state-logtest-0a7c3e';
    const callback = await request(h.app).get(`/community/discord/callback?code=${secrets.oauthCode}&state=${secrets.oauthState}`);
    expect(callback.status).toBeGreaterThanOrEqual(400);
    secrets.telegramWebhookSecret = TELEGRAM_WEBHOOK_SECRET;
    const telegram = request(h.app).post('/community/telegram/webhook').set('X-Telegram-Bot-Api-Secret-Token', TELEGRAM_WEBHOOK_SECRET);
    await telegram.send({ update_id: 1 }).expect(200);

    // An unexpected failure: the 500 path logs the error with the request it broke.
    await sql`alter table feedback rename to feedback_away`.execute(h.db);
    try {
      await request(h.app).get('/api/v1/feedback').set('Authorization', `Bearer ${store.live}`).expect(500);
    } finally {
      await sql`alter table feedback_away rename to feedback`.execute(h.db);
    }

    // No line holds any of them (each long enough that a match is no coincidence).
    for (const [name, value] of Object.entries(secrets)) expect(value.length >= 16 ? name : `${name}: too short to search`).toBe(name);
    const leaked = Object.entries(secrets).filter(([, value]) => lines.some((line) => line.includes(value)));
    expect(leaked.map(([name]) => name)).toEqual([]);

    // And the log did capture the run: the search above searched the requests that carried them.
    type Entry = { level: number; msg?: string; req?: { url?: string; headers?: Record<string, string> } };
    const entries = lines.map((line) => JSON.parse(line) as Entry);
    const urls = entries.map((e) => e.req?.url).filter((u): u is string => typeof u === 'string');
    const files = urls.filter((u) => u.startsWith('/files/'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const url of files) expect(url).toMatch(/[?&]expires=\d+.*&signature=\[redacted\]/);
    expect(urls).toContain('/community/discord/callback?code=[redacted]&state=[redacted]');
    const stripeLine = entries.find((e) => e.req?.url === `/webhooks/stripe/${store.slug}`);
    expect(stripeLine?.req?.headers?.['stripe-signature']).toBe('[redacted]');
    const telegramLine = entries.find((e) => e.req?.url === '/community/telegram/webhook');
    expect(telegramLine?.req?.headers?.['x-telegram-bot-api-secret-token']).toBe('[redacted]');
    const failure = entries.find((e) => e.level === 50 && e.msg === 'unhandled error');
    expect(failure?.req?.headers?.authorization).toBe('[redacted]');
    const keyed = ['/api/v2/api-keys', '/api/v2/settings/payment-methods/STRIPE', '/api/v2/community/connections/discord'];
    expect(urls).toEqual(expect.arrayContaining(keyed));
  });
});
