import request from 'supertest';
import { type PaypalFake, startPaypalFake } from '../fakes/paypal';
import { createVariant } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/**
 * PayPal one-off payments, the API half: the store's REST apps (both settings paths, checked
 * with PayPal on save — credentials and webhook id —, sealed, masked) and checkout opening a PayPal order for the invoice with
 * the app of its mode, against the local PayPal fake through the official SDK.
 */
const LIVE = { clientId: 'AZliveClient0001', clientSecret: 'ELliveSecret0001', mode: 'live' as const };
const SANDBOX = { clientId: 'AZsandboxClient01', clientSecret: 'ELsandboxSecret01', mode: 'sandbox' as const };
let paypal: PaypalFake;
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;

beforeAll(async () => {
  paypal = await startPaypalFake();
  paypal.addApp(LIVE, 'WHLIVE0001', 'WHLIVE0002');
  paypal.addApp(SANDBOX, 'WHSANDBOX01');
  h = await startHarness({ env: { PAYPAL_API_URL: paypal.url } });
  store = await h.createStore();
}, 120_000);
afterAll(async () => {
  await h?.close();
  await paypal?.close();
});

const api = (method: 'get' | 'post' | 'patch' | 'put', path: string, body?: object, key = store.live) =>
  request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${key}`).send(body);

async function paypalInvoice(key: string, price = 1999) {
  const { variantId } = await createVariant(h, store.live, {
    deliverable: { types: ['TEXT'], data: { serials: 'PP-1,PP-2,PP-3' } },
    price,
  });
  const created = await api(
    'post',
    '/invoices',
    { customer_email: 'buyer@e.co', payment_method: 'PAYPAL', product_variants: { [variantId]: { quantity: 1 } } },
    key,
  ).expect(201);
  return created.body.data as { id: number; livemode: boolean };
}

const liveApp = { client_id: LIVE.clientId, client_secret: LIVE.clientSecret };
const sandboxApp = { sandbox_client_id: SANDBOX.clientId, sandbox_client_secret: SANDBOX.clientSecret };
const tokenCalls = () => paypal.requests.filter((r) => r.path === '/v1/oauth2/token').length;
/** Who asked PayPal about which webhook (GET /v1/notifications/webhooks/{id}), in order. */
const webhookLookups = () =>
  paypal.requests
    .filter((r) => r.method === 'GET' && r.path.startsWith('/v1/notifications/webhooks/'))
    .map((r) => ({ webhookId: r.path.split('/').at(-1), clientId: r.clientId }));

describe('PayPal settings', () => {
  it('refuses what is not a REST app, and credentials PayPal refuses, storing nothing', async () => {
    expect((await api('put', '/settings/payment-methods/PAYPAL', { client_id: 'short' })).status).toBe(422);
    expect((await api('put', '/settings/payment-methods/PAYPAL', { client_id: LIVE.clientId })).body.error.param).toBe('client_secret');
    const before = tokenCalls();
    const refused = await api('put', '/settings/payment-methods/PAYPAL', { client_id: LIVE.clientId, client_secret: 'ELwrongSecret999' });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'gateway_misconfigured', param: 'client_secret' });
    expect(tokenCalls()).toBe(before + 1);
    // With a webhook id the credentials are still what is refused.
    const refusedWithHook = await api('put', '/settings/payment-methods/PAYPAL', {
      client_id: LIVE.clientId,
      client_secret: 'ELwrongSecret999',
      webhook_id: 'WHLIVE0001',
    });
    expect(refusedWithHook.body.error).toMatchObject({ code: 'gateway_misconfigured', param: 'client_secret' });
    expect((await api('get', '/settings/payment-methods/PAYPAL')).status).toBe(404);
  });

  it('checks each app with an OAuth token call and its webhook id with PayPal, stores them sealed and shows the secrets masked', async () => {
    const before = tokenCalls();
    const lookups = webhookLookups().length;
    const saved = await api('put', '/settings/payment-methods/PAYPAL', {
      client_id: LIVE.clientId,
      client_secret: LIVE.clientSecret,
      webhook_id: 'WHLIVE0001',
    }).expect(200);
    expect(saved.body.data).toEqual({
      method: 'PAYPAL',
      enabled: true,
      client_id: LIVE.clientId,
      client_secret: '…0001',
      webhook_id: 'WHLIVE0001',
      sandbox_client_id: null,
      sandbox_client_secret: null,
      sandbox_webhook_id: null,
    });
    // The webhook lookup's token is the credentials' check.
    expect(tokenCalls()).toBe(before + 1);
    expect(webhookLookups().slice(lookups)).toEqual([{ webhookId: 'WHLIVE0001', clientId: LIVE.clientId }]);
    const row = await h.db
      .selectFrom('payment_gateways')
      .select('settings_sealed')
      .where('store_id', '=', store.id)
      .where('method', '=', 'PAYPAL')
      .executeTakeFirstOrThrow();
    expect(row.settings_sealed).not.toContain(LIVE.clientSecret);
    expect(row.settings_sealed).not.toContain(LIVE.clientId);
    // The official path takes the sandbox app (mode) and keeps the live one.
    const official = await api('put', '/payment-methods/PAYPAL/configuration', {
      client_id: SANDBOX.clientId,
      client_secret: SANDBOX.clientSecret,
      webhook_id: 'WHSANDBOX01',
      mode: 'sandbox',
    }).expect(200);
    expect(official.body.data).toMatchObject({ id: 'PAYPAL', name: 'PayPal', status: 'enabled', connection_type: 'api_keys' });
    expect(JSON.stringify(official.body)).not.toContain(SANDBOX.clientSecret);
    expect((await api('get', '/settings/payment-methods/PAYPAL').expect(200)).body.data).toMatchObject({
      client_id: LIVE.clientId,
      client_secret: '…0001',
      sandbox_client_id: SANDBOX.clientId,
      sandbox_client_secret: '…et01',
      sandbox_webhook_id: 'WHSANDBOX01',
    });
    const wrongSandbox = await api('put', '/payment-methods/PAYPAL/configuration', {
      client_id: SANDBOX.clientId,
      client_secret: 'ELwrongSecret999',
      mode: 'sandbox',
    });
    expect(wrongSandbox.status).toBe(422);
    expect(wrongSandbox.body.error.code).toBe('gateway_misconfigured');
    // Only a webhook id changes: PayPal is asked about it with the stored app.
    await api('put', '/settings/payment-methods/PAYPAL', { webhook_id: 'WHLIVE0002' }).expect(200);
    expect(webhookLookups().at(-1)).toEqual({ webhookId: 'WHLIVE0002', clientId: LIVE.clientId });
  });

  it('refuses a webhook id PayPal does not know on that app with a 422 on the field, storing nothing', async () => {
    const other = await h.createStore();
    const put = (path: string, body: object) => api('put', path, body, other.live);
    const unknown = await put('/settings/payment-methods/PAYPAL', { ...liveApp, webhook_id: 'WHNOSUCHHOOK1' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error).toMatchObject({ code: 'gateway_misconfigured', param: 'webhook_id' });
    expect(unknown.body.errors.webhook_id[0]).toMatch(/no webhook WHNOSUCHHOOK1 on the store's live REST app/);
    expect((await api('get', '/settings/payment-methods/PAYPAL', undefined, other.live)).status).toBe(404);

    // Each mode's webhook id is asked about with that mode's app: the sandbox app's webhook is unknown to the live app and back.
    const crossed = await put('/settings/payment-methods/PAYPAL', { ...liveApp, webhook_id: 'WHSANDBOX01' });
    expect(crossed.body.error).toMatchObject({ code: 'gateway_misconfigured', param: 'webhook_id' });
    expect(webhookLookups().at(-1)).toEqual({ webhookId: 'WHSANDBOX01', clientId: LIVE.clientId });
    const crossedSandbox = await put('/settings/payment-methods/PAYPAL', { ...sandboxApp, sandbox_webhook_id: 'WHLIVE0001' });
    expect(crossedSandbox.status).toBe(422);
    expect(crossedSandbox.body.error).toMatchObject({ code: 'gateway_misconfigured', param: 'sandbox_webhook_id' });
    expect(webhookLookups().at(-1)).toEqual({ webhookId: 'WHLIVE0001', clientId: SANDBOX.clientId });
    const official = await put('/payment-methods/PAYPAL/configuration', {
      client_id: SANDBOX.clientId,
      client_secret: SANDBOX.clientSecret,
      webhook_id: 'WHLIVE0001',
      mode: 'sandbox',
    });
    expect(official.status).toBe(422);
    expect(official.body.error.code).toBe('gateway_misconfigured');
    expect((await api('get', '/settings/payment-methods/PAYPAL', undefined, other.live)).status).toBe(404);

    const saved = await put('/settings/payment-methods/PAYPAL', {
      ...liveApp,
      webhook_id: 'WHLIVE0001',
      ...sandboxApp,
      sandbox_webhook_id: 'WHSANDBOX01',
    }).expect(200);
    expect(saved.body.data).toMatchObject({ webhook_id: 'WHLIVE0001', sandbox_webhook_id: 'WHSANDBOX01' });
    expect(webhookLookups().slice(-2)).toEqual([
      { webhookId: 'WHLIVE0001', clientId: LIVE.clientId },
      { webhookId: 'WHSANDBOX01', clientId: SANDBOX.clientId },
    ]);

    // A changed webhook id PayPal does not know leaves the stored one as it was.
    const changed = await put('/settings/payment-methods/PAYPAL', { sandbox_webhook_id: 'WHNOSUCHHOOK2' });
    expect(changed.body.error).toMatchObject({ code: 'gateway_misconfigured', param: 'sandbox_webhook_id' });
    expect((await api('get', '/settings/payment-methods/PAYPAL', undefined, other.live).expect(200)).body.data.sandbox_webhook_id).toBe(
      'WHSANDBOX01',
    );
  });

  it('refuses a webhook id without its app, and answers 502 while PayPal cannot be asked about the webhook', async () => {
    const other = await h.createStore();
    const put = (body: object) => api('put', '/settings/payment-methods/PAYPAL', body, other.live);
    const orphan = await put({ ...liveApp, sandbox_webhook_id: 'WHSANDBOX01' });
    expect(orphan.status).toBe(422);
    expect(orphan.body.error).toMatchObject({ code: 'missing_field', param: 'sandbox_client_id' });

    paypal.outage('/v1/notifications/webhooks/WHLIVE0001');
    try {
      const away = await put({ ...liveApp, webhook_id: 'WHLIVE0001' });
      expect(away.status).toBe(502);
      expect(away.body.error.code).toBe('gateway_unavailable');
    } finally {
      paypal.restore('/v1/notifications/webhooks/WHLIVE0001');
    }
    expect((await api('get', '/settings/payment-methods/PAYPAL', undefined, other.live)).status).toBe(404);
  });
});

describe('PayPal checkout', () => {
  it('opens one PayPal order per invoice (CAPTURE, its amount and currency, its id) with the sandbox app for a test invoice', async () => {
    const invoice = await paypalInvoice(store.test, 2500);
    expect(invoice.livemode).toBe(false);
    const checkout = await api('post', `/invoices/${invoice.id}/checkout`, undefined, store.test).expect(200);
    const order = [...paypal.state.orders.values()].at(-1)!;
    expect(checkout.body.payment_url).toBe(`https://www.sandbox.paypal.com/checkoutnow?token=${order.id}`);
    expect(checkout.body.invoice.payment.gateway).toMatchObject({
      type: 'PAYPAL',
      data: { order_id: order.id, checkout_url: checkout.body.payment_url },
    });
    expect(order).toMatchObject({ clientId: SANDBOX.clientId, mode: 'sandbox', intent: 'CAPTURE' });
    expect(order.purchaseUnits[0]).toMatchObject({
      amount: { currency_code: 'USD', value: '25.00' },
      custom_id: String(invoice.id),
      invoice_id: `sellflow-${store.id}-${invoice.id}`,
    });
    const created = paypal.requests.filter((r) => r.path === '/v2/checkout/orders' && r.method === 'POST').at(-1)!;
    expect(created.requestId).toBe(`sellflow-order-${store.id}-${invoice.id}`);
    expect(created.body.payment_source.paypal.experience_context.return_url).toMatch(
      new RegExp(`/checkout/${store.slug}/invoices/${invoice.id}/paypal-return$`),
    );
    // Checking out again answers the same order.
    const again = await api('post', `/invoices/${invoice.id}/checkout`, undefined, store.test).expect(200);
    expect(again.body.payment_url).toBe(checkout.body.payment_url);
    expect([...paypal.state.orders.values()].filter((o) => o.purchaseUnits[0].custom_id === String(invoice.id))).toHaveLength(1);
  });

  it('pays a live invoice only through the live app', async () => {
    const invoice = await paypalInvoice(store.live);
    const checkout = await api('post', `/invoices/${invoice.id}/checkout`).expect(200);
    expect(checkout.body.payment_url).toMatch(/^https:\/\/www\.paypal\.com\/checkoutnow\?token=/);
    expect([...paypal.state.orders.values()].at(-1)).toMatchObject({ clientId: LIVE.clientId, mode: 'live' });
  });

  it('refuses a test invoice when only a live app is set up, and any invoice while PayPal is off', async () => {
    const other = await h.createStore();
    await request(h.app)
      .put('/api/v2/settings/payment-methods/PAYPAL')
      .set('Authorization', `Bearer ${other.live}`)
      .send({ client_id: LIVE.clientId, client_secret: LIVE.clientSecret })
      .expect(200);
    const { variantId } = await createVariant(h, other.live, { deliverable: { types: ['MANUAL'], data: { comment: 'x' } } });
    const invoice = await request(h.app)
      .post('/api/v2/invoices')
      .set('Authorization', `Bearer ${other.test}`)
      .send({ customer_email: 'b@e.co', payment_method: 'PAYPAL', product_variants: { [variantId]: { quantity: 1 } } })
      .expect(201);
    const orders = paypal.state.orders.size;
    const refused = await request(h.app)
      .post(`/api/v2/invoices/${invoice.body.data.id}/checkout`)
      .set('Authorization', `Bearer ${other.test}`);
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('gateway_not_configured');
    expect(paypal.state.orders.size).toBe(orders);

    await api('patch', '/payment-methods/PAYPAL', { enabled: false }).expect(200);
    const live = await paypalInvoice(store.live);
    expect((await api('post', `/invoices/${live.id}/checkout`)).status).toBe(422);
    await api('patch', '/payment-methods/PAYPAL', { enabled: true }).expect(200);
  });
});
