import request from 'supertest';
import { type Harness, startHarness } from '../helpers/harness';

/** SellApp's payment methods and store notification channels, over the settings Sellflow already keeps. */
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
beforeAll(async () => {
  h = await startHarness();
  store = await h.createStore();
});
afterAll(() => h.close());

const v2 = (method: 'get' | 'post' | 'put' | 'patch' | 'delete', path: string, body?: object, key = store.live) =>
  request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${key}`).send(body);
const ETH_ADDRESS = '0x52908400098527886E0F7030069857D2E4169EE7';

describe('payment methods', () => {
  it('is set up, turned off and on, and reads back the same through /v2/settings/payment-methods', async () => {
    expect((await v2('get', '/payment-methods/ETH').expect(200)).body.data).toMatchObject({
      id: 'ETH',
      status: 'disconnected',
      enabled: false,
      category: 'crypto',
      connection_type: 'wallet',
    });
    expect((await v2('patch', '/payment-methods/ETH', { enabled: true })).status).toBe(422);
    expect((await v2('put', '/payment-methods/ETH/configuration', { address: 'not-an-address' })).status).toBe(422);
    const saved = (await v2('put', '/payment-methods/ETH/configuration', { address: ETH_ADDRESS, min_withdraw_amount: '0.5' }).expect(200))
      .body.data;
    expect(saved).toMatchObject({ status: 'enabled', enabled: true, health_status: 'healthy', actionable_error: null });
    expect((await v2('patch', '/payment-methods/eth', { enabled: false }).expect(200)).body.data).toMatchObject({
      status: 'configured',
      enabled: false,
    });
    expect((await v2('get', '/settings/payment-methods/ETH').expect(200)).body.data).toMatchObject({
      enabled: false,
      address: ETH_ADDRESS,
      minimum_withdrawal: 0.5,
    });
  });

  it('takes Stripe’s secret key as api_key, never shows it, and knows only the methods it can set up', async () => {
    expect((await v2('put', '/payment-methods/STRIPE/configuration', { api_key: 'pk_live_public' })).status).toBe(422);
    const stripe = (await v2('put', '/payment-methods/STRIPE/configuration', { api_key: 'sk_test_abc123' }).expect(200)).body;
    expect(stripe.data).toMatchObject({ id: 'STRIPE', status: 'enabled', connection_type: 'api_keys' });
    expect(JSON.stringify(stripe)).not.toContain('sk_test_abc123');
    expect((await v2('get', '/settings/payment-methods/STRIPE').expect(200)).body.data.test_secret_key).toBe('…c123');
    expect((await v2('get', '/payment-methods/SQUARE')).status).toBe(404);
    expect((await v2('get', '/payment-methods/PAYPAL').expect(200)).body.data).toMatchObject({ name: 'PayPal', status: 'disconnected' });
    const ids = (await v2('get', '/payment-methods').expect(200)).body.data.map((m: { id: string }) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['STRIPE', 'PAYPAL', 'BTC', 'ETH', 'XMR']));
  });
});

describe('store notification channels', () => {
  it('keeps a Discord webhook URL to itself, switches a channel’s kind and serves the same rows at /v2/notifications', async () => {
    const webhook = 'https://discord.com/api/webhooks/42/secret-token';
    expect(
      (
        await v2('post', '/store/notification-channels', {
          channel: { type: 'discord', webhook: 'https://evil.example/x', allowed_notifications: ['order.paid'] },
        })
      ).status,
    ).toBe(422);
    const created = (
      await v2('post', '/store/notification-channels', {
        channel: { type: 'discord', channel: '#sales', webhook, allowed_notifications: ['order.paid', 'subscription.cancelled'] },
      }).expect(201)
    ).body;
    expect(JSON.stringify(created)).not.toContain('secret-token');
    expect(created.data).toMatchObject({
      type: 'discord',
      channel: '#sales',
      email: null,
      webhook_configured: true,
      allowed_notifications: ['order.paid', 'subscription.cancelled'],
    });
    const id = created.data.id as string;
    expect((await v2('patch', `/store/notification-channels/${id}`, { channel: { type: 'email' } })).status).toBe(422);
    expect(
      (await v2('patch', `/store/notification-channels/${id}`, { channel: { type: 'email', email: 'ops@e.co' } }).expect(200)).body.data,
    ).toMatchObject({
      type: 'email',
      email: 'ops@e.co',
      webhook_configured: false,
      allowed_notifications: ['order.paid', 'subscription.cancelled'],
    });
    expect((await v2('get', '/notifications').expect(200)).body.data.map((c: { id: number }) => c.id)).toContain(Number(id));
    await v2('delete', `/store/notification-channels/${id}`).expect(200);
    expect((await v2('get', `/store/notification-channels/${id}`)).status).toBe(404);
    expect((await v2('get', `/store/notification-channels/${id}`, undefined, store.test)).status).toBe(404);
  });
});
