import { createHmac } from 'node:crypto';
import request from 'supertest';
import { startWebhookReceiver } from '../fakes/webhook-receiver';
import { type Harness, startHarness } from '../helpers/harness';

/** SellApp's webhook channels: the store's endpoints under the spec's model, one signing secret a store and mode. */
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
beforeAll(async () => {
  h = await startHarness();
  store = await h.createStore();
  receiver = await startWebhookReceiver((count) => (count === 3 ? 500 : 200));
});
afterAll(async () => {
  await h.close();
  await receiver.close();
});

const v2 = (method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string, body?: object, key = store.live) =>
  request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${key}`).send(body);

describe('webhook channels', () => {
  it('signs test deliveries with the store’s secret once one is set, before and after a channel is made', async () => {
    const before = (
      await v2('post', '/webhook-channels', { url: `${receiver.url}/a`, allowed_notifications: ['order.completed'] }).expect(201)
    ).body.data;
    const secret = 'whsec_the_sellers_own_secret_0123456789';
    expect((await v2('put', '/webhook-channels/signing-secret', { signing_secret: secret }).expect(200)).body).toEqual({
      data: { signing_secret_configured: true },
    });
    const after = (
      await v2('post', '/webhook-channels', { url: `${receiver.url}/b`, allowed_notifications: ['product.created'] }).expect(201)
    ).body.data;
    for (const [channel, event] of [
      [before, 'order.completed'],
      [after, 'product.created'],
    ] as const) {
      const sent = (await v2('post', `/webhook-channels/${channel.id}/test`, { event }).expect(200)).body.data;
      expect(sent).toMatchObject({ channel_id: channel.id, event, status: 'succeeded', response_status: 200 });
      const got = receiver.received.at(-1)!;
      expect(got.headers.signature).toBe(createHmac('sha256', secret).update(got.body).digest('hex'));
      expect(JSON.parse(got.body)).toMatchObject({ type: event, test: true });
    }
    // The third answer is a 500: the test reports it, it is not an error of ours.
    expect((await v2('post', `/webhook-channels/${after.id}/test`, { event: 'product.created' }).expect(200)).body.data).toMatchObject({
      status: 'failed',
      response_status: 500,
    });
  });

  it('refuses a test of an event the channel does not subscribe to, a duplicate URL and a short secret (422)', async () => {
    const channel = (await v2('post', '/webhook-channels', { url: `${receiver.url}/c`, allowed_notifications: ['order.paid'] }).expect(201))
      .body.data;
    expect((await v2('post', `/webhook-channels/${channel.id}/test`, { event: 'order.created' })).status).toBe(422);
    expect((await v2('post', '/webhook-channels', { url: `${receiver.url}/c`, allowed_notifications: ['order.paid'] })).status).toBe(422);
    expect((await v2('put', '/webhook-channels/signing-secret', { signing_secret: 'short' })).status).toBe(422);
    expect((await v2('get', '/webhook-channels/999999')).status).toBe(404);
  });

  it('keeps the spec’s and the seed’s names of an event as given, finds channels by text and event, and serves the same rows at /v2/webhooks', async () => {
    const channel = (
      await v2('post', '/webhook-channels', {
        name: 'Billing',
        url: `${receiver.url}/billing`,
        allowed_notifications: ['subscription.cancelled', 'subscription.canceled', 'subscription.cancelled'],
      }).expect(201)
    ).body.data;
    expect(channel.allowed_notifications).toEqual(['subscription.cancelled', 'subscription.canceled']);
    const found = await v2('post', '/webhook-channels/search', { search: { value: 'billing' }, event: 'subscription.cancelled' }).expect(
      200,
    );
    expect(found.body.data.map((c: { id: string }) => c.id)).toEqual([channel.id]);
    expect((await v2('post', '/webhook-channels/search', { event: 'order.refunded' }).expect(200)).body.data).toHaveLength(0);
    expect((await v2('get', `/webhooks/${channel.id}`).expect(200)).body.data).toMatchObject({
      id: Number(channel.id),
      description: 'Billing',
    });
    await v2('delete', `/webhook-channels/${channel.id}`).expect(200);
    expect((await v2('get', `/webhooks/${channel.id}`)).status).toBe(404);
  });

  it('keeps each mode’s channels apart', async () => {
    const test = (
      await v2('post', '/webhook-channels', { url: `${receiver.url}/t`, allowed_notifications: ['order.paid'] }, store.test).expect(201)
    ).body.data;
    expect((await v2('get', `/webhook-channels/${test.id}`)).status).toBe(404);
    expect((await v2('get', `/webhook-channels/${test.id}`, undefined, store.test).expect(200)).body.data.id).toBe(test.id);
  });
});
