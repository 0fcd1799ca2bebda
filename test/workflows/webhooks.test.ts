import { createHmac } from 'node:crypto';
import request from 'supertest';
// The module object itself (not a copy), so a spy on it is what the network guard calls.
import undici from 'undici';
import { recordEvent } from '../../src/events/record';
import { createLogger } from '../../src/logger';
import { connectWorker } from '../../src/temporal/connection';
import { verifySellSignature } from '../../src/webhooks/signature';
import { createWorker } from '../../src/worker';
import { waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness, testTemporalAddress } from '../helpers/harness';
import { startWebhookReceiver } from '../fakes/webhook-receiver';

let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
beforeAll(async () => {
  // Many deliveries at once, some waiting 10 s on a slow receiver: a connection pool (Postgres),
  // not the embedded database's single connection, so timings measure the retries, not the queue.
  h = await startHarness({ worker: true, database: 'postgres' });
  store = await h.createStore();
});
afterAll(() => h.close());

const api = (method: 'get' | 'post' | 'patch' | 'delete', path: string, body?: object, key = store.live) =>
  request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${key}`).send(body);
const newProduct = (key = store.live) =>
  api('post', '/products', { title: `P ${Math.random()}`, description: 'd', visibility: 'PUBLIC' }, key).expect(201);
const deliveries = (id: number) => api('get', `/webhooks/${id}/deliveries`).then((r) => r.body.data);

describe('outbound webhooks', () => {
  it('delivers the Sell envelope signed both ways, and logs the delivery', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const created = await api('post', '/webhooks', { url: receiver.url, events: ['product.created'] });
      expect(created.status).toBe(201);
      const { id, secret } = created.body.data;
      expect(secret).toMatch(/^whsec_/);
      expect((await api('get', `/webhooks/${id}`)).body.data.secret).toBeUndefined();
      const product = await newProduct();
      await waitFor(
        () => Promise.resolve(receiver.received.length),
        (n) => n >= 1,
      );
      const [hook] = receiver.received;
      const envelope = JSON.parse(hook!.body);
      expect(envelope).toMatchObject({ type: 'product.created', livemode: true, data: { id: product.body.data.id } });
      expect(envelope.id).toMatch(/^evt_/);
      expect(hook!.headers['x-sell-event']).toBe('product.created');
      expect(hook!.headers['x-sell-event-id']).toBe(envelope.id);
      expect(hook!.headers['content-type']).toBe('application/json');
      expect(verifySellSignature(hook!.body, String(hook!.headers['x-sell-signature']), secret)).toBe(true);
      expect(verifySellSignature(hook!.body + ' ', String(hook!.headers['x-sell-signature']), secret)).toBe(false);
      expect(verifySellSignature(hook!.body, String(hook!.headers['x-sell-signature']), 'whsec_other')).toBe(false);
      expect(hook!.headers.signature).toBe(createHmac('sha256', secret).update(hook!.body).digest('hex'));
      const logged = await waitFor(
        () => deliveries(id),
        (d) => d[0]?.status === 'succeeded',
      );
      expect(logged[0]).toMatchObject({ event_id: envelope.id, type: 'product.created', attempts: 1, response_code: 200 });
    } finally {
      await receiver.close();
    }
  });

  it('keeps test and live apart', async () => {
    const live = await startWebhookReceiver();
    const test = await startWebhookReceiver();
    try {
      await api('post', '/webhooks', { url: live.url, events: ['product.created'] }).expect(201);
      await api('post', '/webhooks', { url: test.url, events: ['product.created'] }, store.test).expect(201);
      expect((await api('get', '/webhooks', undefined, store.test)).body.data.map((e: { url: string }) => e.url)).toEqual([test.url]);
      // A test key makes catalogue drafts only through the Sell API; they raise test-mode events.
      await request(h.app)
        .post('/api/v1/products')
        .set('Authorization', `Bearer ${store.test}`)
        .send({ externalId: 'draft-1', name: 'Draft', priceCents: 100 })
        .expect(201);
      await waitFor(
        () => Promise.resolve(test.received.length),
        (n) => n >= 1,
      );
      await new Promise((r) => setTimeout(r, 1500));
      expect(live.received).toHaveLength(0);
      expect(JSON.parse(test.received[0]!.body).livemode).toBe(false);
    } finally {
      await live.close();
      await test.close();
    }
  });

  it('retries a 5xx at about 0, 2 and 8 s, and never retries a 4xx', async () => {
    const flaky = await startWebhookReceiver((n) => (n < 3 ? 503 : 200));
    const refusing = await startWebhookReceiver(() => 400);
    try {
      const f = (await api('post', '/webhooks', { url: flaky.url, events: ['product.created'] })).body.data;
      const r = (await api('post', '/webhooks', { url: refusing.url, events: ['product.created'] })).body.data;
      await newProduct();
      const ok = await waitFor(
        () => deliveries(f.id),
        (d) => d[0]?.status === 'succeeded',
        30_000,
      );
      expect(ok[0]).toMatchObject({ attempts: 3, response_code: 200 });
      const gaps = [flaky.received[1]!.at - flaky.received[0]!.at, flaky.received[2]!.at - flaky.received[1]!.at];
      expect(gaps[0]).toBeGreaterThanOrEqual(1800);
      // The lower bounds are the backoff; the upper ones leave room for a loaded machine's timers.
      expect(gaps[0]).toBeLessThan(7000);
      expect(gaps[1]).toBeGreaterThanOrEqual(7500);
      expect(gaps[1]).toBeLessThan(16000);
      const failed = await waitFor(
        () => deliveries(r.id),
        (d) => d[0]?.status === 'failed',
      );
      expect(failed[0]).toMatchObject({ attempts: 1, response_code: 400 });
      expect(refusing.received).toHaveLength(1);
    } finally {
      await flaky.close();
      await refusing.close();
    }
  }, 60_000);

  it('pauses an endpoint after ten failed deliveries in a row; reactivation and resend work', async () => {
    let healthy = false;
    const receiver = await startWebhookReceiver(() => (healthy ? 200 : 410));
    try {
      const endpoint = (await api('post', '/webhooks', { url: receiver.url, events: ['product.created'] })).body.data;
      for (let i = 0; i < 10; i += 1) await newProduct();
      // Ten deliveries through the shared dev server: slow when a heavy test file runs alongside.
      const paused = await waitFor(
        () => api('get', `/webhooks/${endpoint.id}`).then((res) => res.body.data),
        (e) => e.status === 'paused',
        75_000,
      );
      expect(paused.consecutive_failures).toBe(10);
      const notice = await h.db.selectFrom('events').select('data').where('type', '=', 'webhook_endpoint.paused').execute();
      expect(notice.map((e) => e.data.id)).toContain(endpoint.id);
      await newProduct();
      await new Promise((r) => setTimeout(r, 1500));
      expect(receiver.received).toHaveLength(10);

      healthy = true;
      const reactivated = await api('post', `/webhooks/${endpoint.id}/reactivate`);
      expect(reactivated.body.data).toMatchObject({ status: 'active', consecutive_failures: 0 });
      const [latestFailed] = await deliveries(endpoint.id);
      expect((await api('post', `/webhooks/${endpoint.id}/deliveries/${latestFailed.id}/resend`)).status).toBe(202);
      await waitFor(
        () => deliveries(endpoint.id),
        (d) => d.find((x: { id: number }) => x.id === latestFailed.id)?.status === 'succeeded',
      );
    } finally {
      await receiver.close();
    }
  }, 120_000);

  it('counts an answer slower than 10 s as a failed attempt and retries it', async () => {
    const slow = await startWebhookReceiver(
      () => 200,
      (n) => (n === 1 ? 12_000 : 0),
    );
    try {
      const endpoint = (await api('post', '/webhooks', { url: slow.url, events: ['product.created'] })).body.data;
      await newProduct();
      const done = await waitFor(
        () => deliveries(endpoint.id),
        (d) => d[0]?.status === 'succeeded',
        40_000,
      );
      expect(done[0]).toMatchObject({ attempts: 2, response_code: 200 });
      expect(slow.received).toHaveLength(2);
      expect(slow.received[1]!.at - slow.received[0]!.at).toBeGreaterThanOrEqual(11_500);
    } finally {
      await slow.close();
    }
  }, 60_000);

  it('validates endpoints and keeps other stores out', async () => {
    expect((await api('post', '/webhooks', { url: 'ftp://x', events: ['product.created'] })).status).toBe(422);
    expect((await api('post', '/webhooks', { url: 'https://x.example', events: ['order.shipped'] })).body.error.param).toBe('events.0');
    const mine = (await api('post', '/webhooks', { url: 'https://x.example/h', events: ['order.paid'] })).body.data;
    const other = await h.createStore();
    expect((await api('get', `/webhooks/${mine.id}`, undefined, other.live)).status).toBe(404);
    expect((await api('delete', `/webhooks/${mine.id}`, undefined, other.live)).status).toBe(404);
  });
});

describe('outbox durability', () => {
  it('names a subscription’s end as the spec does, and as the Sell seed did for endpoints subscribed to that name', async () => {
    const spec = await startWebhookReceiver();
    const seed = await startWebhookReceiver();
    try {
      await api('post', '/webhooks', { url: spec.url, events: ['subscription.cancelled', 'order.partial_paid'] }).expect(201);
      await api('post', '/webhooks', { url: seed.url, events: ['subscription.canceled'] }).expect(201);
      expect((await api('post', '/webhooks', { url: `${seed.url}/x`, events: ['order.refund.created'] })).status).toBe(422);
      const data = { id: 987654, invoice_id: 123, reason: 'canceled_by_provider' };
      await h.db
        .transaction()
        .execute((trx) => recordEvent(trx, { storeId: store.id, livemode: true, type: 'subscription.cancelled', data }));
      const rows = await h.db.selectFrom('events').select(['type', 'data']).where('store_id', '=', store.id).execute();
      expect(rows.filter((r) => r.data.id === data.id).map((r) => r.type)).toEqual(
        expect.arrayContaining(['subscription.cancelled', 'subscription.canceled']),
      );
      await waitFor(
        () => Promise.resolve(spec.received.length + seed.received.length),
        (n) => n >= 2,
      );
      await new Promise((r) => setTimeout(r, 1000));
      expect(spec.received.map((hook) => JSON.parse(hook.body).type)).toEqual(['subscription.cancelled']);
      expect(seed.received.map((hook) => JSON.parse(hook.body).type)).toEqual(['subscription.canceled']);
      expect(spec.received[0]!.headers['x-sell-event']).toBe('subscription.cancelled');
      expect(JSON.parse(spec.received[0]!.body).data).toEqual(JSON.parse(seed.received[0]!.body).data);
    } finally {
      await spec.close();
      await seed.close();
    }
  });

  it('delivers events recorded while no worker was running, once one starts', async () => {
    const quiet = await startHarness();
    const receiver = await startWebhookReceiver();
    try {
      const own = await quiet.createStore();
      const call = (method: 'post', path: string, body: object) =>
        request(quiet.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${own.live}`).send(body);
      await call('post', '/webhooks', { url: receiver.url, events: ['product.created'] }).expect(201);
      await call('post', '/products', { title: 'While down', description: 'd', visibility: 'PUBLIC' }).expect(201);
      await new Promise((r) => setTimeout(r, 1000));
      expect(receiver.received).toHaveLength(0);
      const connection = await connectWorker(quiet.config, testTemporalAddress());
      const worker = await createWorker({
        config: quiet.config,
        db: quiet.db,
        connection,
        logger: createLogger('silent'),
        taskQueue: quiet.taskQueue,
        workflowBundle: { codePath: process.env.SELLFLOW_TEST_WORKFLOW_BUNDLE! },
      });
      await worker.runUntil(
        waitFor(
          () => Promise.resolve(receiver.received.length),
          (n) => n >= 1,
          30_000,
        ),
      );
      await connection.close();
      expect(JSON.parse(receiver.received[0]!.body).type).toBe('product.created');
    } finally {
      await receiver.close();
      await quiet.close();
    }
  });
});

describe('network guard', () => {
  it('refuses loopback, private and metadata addresses in test mode as in live mode, before any connection', async () => {
    // Every connection the guard opens goes through this dialler: it counts them and never leaves loopback.
    const dialled: string[] = [];
    const realConnector = undici.buildConnector;
    const built = jest.spyOn(undici, 'buildConnector').mockImplementation((options) => {
      const real = realConnector(options);
      return (target, callback) => {
        dialled.push(target.hostname);
        if (target.hostname === '127.0.0.1' || target.hostname === '::1') return real(target, callback);
        callback(new Error(`the test never dials ${target.hostname}`), null);
      };
    });
    const guarded = await startHarness({ worker: true, env: { WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'false' } });
    const receiver = await startWebhookReceiver();
    const receiverV6 = await startWebhookReceiver(undefined, undefined, '::1');
    try {
      const own = await guarded.createStore();
      const call = (method: 'get' | 'post', path: string, body?: object, key = own.test) =>
        request(guarded.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${key}`).send(body);
      const port = new URL(receiver.url).port;
      const refusedOnce = async (urls: Record<string, RegExp>, key: string) => {
        const endpoints: { url: string; id: number }[] = [];
        for (const url of Object.keys(urls)) {
          const created = await call('post', '/webhooks', { url, events: ['product.created'] }, key).expect(201);
          endpoints.push({ url, id: created.body.data.id });
        }
        // The event straight into the outbox: which API writes test keys may make is not this test's subject.
        await recordEvent(guarded.db, { storeId: own.id, livemode: key === own.live, type: 'product.created', data: { id: 1 } });
        for (const endpoint of endpoints) {
          const [delivery] = await waitFor(
            () => call('get', `/webhooks/${endpoint.id}/deliveries`, undefined, key).then((r) => r.body.data),
            (d) => d[0]?.status === 'failed',
          );
          // Not retried: a refused address is permanent.
          const seen = { url: endpoint.url, attempts: delivery.attempts, error: delivery.error };
          expect(seen).toEqual({ url: endpoint.url, attempts: 1, error: expect.stringMatching(urls[endpoint.url]!) });
        }
      };
      // Test mode first: the loopback ones would be answered if the guard let them through.
      await refusedOnce(
        {
          [receiver.url]: /^127\.0\.0\.1 is a loopback address/,
          [receiver.url.replace('127.0.0.1', 'localhost')]: /^localhost resolves to (127\.0\.0\.1|::1) \(loopback\)/,
          [receiverV6.url]: /^::1 is a loopback address/,
        },
        own.test,
      );
      // The guard's connector is the tripwire above: addresses beyond loopback can now be tried safely.
      expect(built).toHaveBeenCalled();
      await refusedOnce(
        {
          [`http://10.20.30.40:${port}/hooks`]: /^10\.20\.30\.40 is a private address/,
          'http://169.254.169.254/latest/meta-data/': /^169\.254\.169\.254 is a linkLocal address/,
          [`http://[::ffff:127.0.0.1]:${port}/hooks`]: /loopback/,
        },
        own.test,
      );
      await refusedOnce({ [receiver.url.replace('127.0.0.1', 'localhost')]: /loopback/ }, own.live);
      expect(receiver.received).toHaveLength(0);
      expect(receiverV6.received).toHaveLength(0);
      expect(dialled).toEqual([]);
    } finally {
      built.mockRestore();
      await receiver.close();
      await receiverV6.close();
      await guarded.close();
    }
  });
});
