import { GatewayError } from '../../src/gateways/gateway-error';
import { PaypalGateway, minorUnits, paypalAmount } from '../../src/gateways/paypal/paypal-gateway';
import { type PaypalFake, startPaypalFake } from '../fakes/paypal';

/** PayPal's official server SDK, re-aimed at the local fake (PAYPAL_API_URL), and what PayPal received. */
let fake: PaypalFake;
let gateway: PaypalGateway;
const sandbox = { clientId: 'sb-client-1', clientSecret: 'sb-secret-1', mode: 'sandbox' as const };
const live = { clientId: 'live-client-1', clientSecret: 'live-secret-1', mode: 'live' as const };

beforeAll(async () => {
  fake = await startPaypalFake();
  fake.addApp(sandbox, 'WHSANDBOXAPP1');
  fake.addApp(live, 'WHLIVEAPP1');
  gateway = new PaypalGateway(fake.url);
});
afterAll(() => fake.close());

const order = (invoiceId: number, requestId = `order-${invoiceId}`, storeId = 7) =>
  gateway.createOrder(sandbox, {
    storeId,
    invoiceId,
    amountMinor: 1999,
    currency: 'usd',
    description: 'Invoice',
    returnUrl: 'https://shop.example/return',
    cancelUrl: 'https://shop.example/cancel',
    requestId,
  });

describe('PayPal gateway (official SDK against the fake)', () => {
  it('writes amounts with the currency’s decimals', () => {
    expect(paypalAmount(1999, 'USD')).toBe('19.99');
    expect(paypalAmount(1999, 'JPY')).toBe('1999');
    expect(minorUnits('19.99', 'EUR')).toBe(1999);
    expect(minorUnits('abc', 'EUR')).toBeNull();
  });

  it('checks credentials with an OAuth token call; wrong ones are the seller’s to fix', async () => {
    await expect(gateway.checkCredentials(sandbox)).resolves.toBeUndefined();
    const wrong = gateway.checkCredentials({ ...sandbox, clientSecret: 'nope' });
    await expect(wrong).rejects.toBeInstanceOf(GatewayError);
    await expect(wrong).rejects.toMatchObject({
      kind: 'misconfigured',
      details: { setting: 'sandbox_client_secret', providerStatus: 401 },
    });
    expect(fake.requests.some((r) => r.path === '/v1/oauth2/token')).toBe(true);
  });

  it('creates one CAPTURE order per request id with the invoice as custom_id, store and invoice as invoice_id, and an approval URL', async () => {
    const first = await order(41);
    expect(first.approvalUrl).toBe(`https://www.sandbox.paypal.com/checkoutnow?token=${first.id}`);
    const again = await order(41);
    expect(again.id).toBe(first.id);
    const created = fake.requests.filter((r) => r.path === '/v2/checkout/orders' && r.method === 'POST');
    expect(created.at(-1)).toMatchObject({
      requestId: 'order-41',
      clientId: sandbox.clientId,
      body: {
        intent: 'CAPTURE',
        purchase_units: [{ amount: { currency_code: 'USD', value: '19.99' }, custom_id: '41', invoice_id: 'sellflow-7-41' }],
        payment_source: { paypal: { experience_context: { return_url: 'https://shop.example/return', user_action: 'PAY_NOW' } } },
      },
    });
    expect(fake.state.orders.size).toBe(1);
  });

  it('two stores sharing one PayPal account are paid for the same invoice number; PayPal refuses an invoice_id paid before', async () => {
    const paid = async (invoiceId: number, storeId: number, requestId: string) => {
      const { id } = await order(invoiceId, requestId, storeId);
      fake.approve(id);
      return gateway.captureOrder(sandbox, id, `capture-${requestId}`);
    };
    await expect(paid(61, 1, 'store-1-61')).resolves.toMatchObject({ status: 'COMPLETED' });
    // Another install's invoice 61 on the same account: its own invoice_id.
    await expect(paid(61, 2, 'store-2-61')).resolves.toMatchObject({ status: 'COMPLETED' });
    const units = fake.requests
      .filter((r) => r.path === '/v2/checkout/orders' && r.method === 'POST' && /^store-\d-61$/.test(r.requestId ?? ''))
      .map((r) => r.body.purchase_units[0]);
    expect(units.map((u: { custom_id: string; invoice_id: string }) => [u.custom_id, u.invoice_id])).toEqual([
      ['61', 'sellflow-1-61'],
      ['61', 'sellflow-2-61'],
    ]);
    // The fake keeps PayPal's rule: the same invoice_id paid again is refused.
    await expect(paid(61, 1, 'store-1-61-again')).rejects.toMatchObject({ kind: 'rejected' });
  });

  it('captures an approved order once: a retried capture (same request id) or a second one answers the first capture', async () => {
    const { id } = await order(42);
    await expect(gateway.captureOrder(sandbox, id, 'capture-42')).rejects.toMatchObject({ kind: 'rejected' });
    fake.approve(id);
    const captured = await gateway.captureOrder(sandbox, id, 'capture-42');
    expect(captured).toMatchObject({
      status: 'COMPLETED',
      capture: { status: 'COMPLETED', amountMinor: 1999, currency: 'USD', customId: '42' },
    });
    const retried = await gateway.captureOrder(sandbox, id, 'capture-42');
    const other = await gateway.captureOrder(sandbox, id, 'capture-42-other');
    expect(retried.capture?.id).toBe(captured.capture?.id);
    expect(other.capture?.id).toBe(captured.capture?.id);
    expect([...fake.state.captures.values()].filter((c) => c.orderId === id)).toHaveLength(1);
  });

  it('reports a pending capture with PayPal’s reason', async () => {
    const { id } = await order(43);
    fake.approve(id);
    fake.captureWill(id, { status: 'PENDING', reason: 'RECEIVING_PREFERENCE_MANDATES_MANUAL_ACTION' });
    const captured = await gateway.captureOrder(sandbox, id, 'capture-43');
    expect(captured.capture).toMatchObject({ status: 'PENDING', reason: 'RECEIVING_PREFERENCE_MANDATES_MANUAL_ACTION' });
  });

  it('refunds once per request id, never past the capture', async () => {
    const { id } = await order(44);
    fake.approve(id);
    const capture = (await gateway.captureOrder(sandbox, id, 'capture-44')).capture!;
    const refund = {
      captureId: capture.id,
      amountMinor: 500,
      currency: 'USD',
      requestId: 'refund-1',
      storeId: 7,
      invoiceId: 44,
      refundId: 9,
    };
    const first = await gateway.refundCapture(sandbox, refund);
    expect(first).toMatchObject({ status: 'COMPLETED', reason: null });
    expect(await gateway.refundCapture(sandbox, refund)).toEqual(first);
    expect(fake.state.refunds.filter((r) => r.captureId === capture.id)).toEqual([
      expect.objectContaining({ id: first.id, customId: '9' }),
    ]);
    await expect(gateway.refundCapture(sandbox, { ...refund, amountMinor: 1999, requestId: 'refund-2' })).rejects.toMatchObject({
      kind: 'rejected',
    });
  });

  it('reports a refund PayPal holds as pending with its reason, and how it stands later; the other mode’s app cannot see it', async () => {
    const { id } = await order(47);
    fake.approve(id);
    const capture = (await gateway.captureOrder(sandbox, id, 'capture-47')).capture!;
    fake.refundWill(capture.id, { status: 'PENDING', reason: 'ECHECK' });
    const refund = {
      captureId: capture.id,
      amountMinor: 1999,
      currency: 'USD',
      requestId: 'refund-47',
      storeId: 7,
      invoiceId: 47,
      refundId: 10,
    };
    const pending = await gateway.refundCapture(sandbox, refund);
    expect(pending).toEqual({ id: expect.any(String), status: 'PENDING', reason: 'ECHECK' });
    expect(await gateway.getRefund(sandbox, pending.id)).toEqual(pending);
    expect(await gateway.getRefund(live, pending.id)).toBeNull();
    fake.completeRefund(pending.id);
    expect(await gateway.getRefund(sandbox, pending.id)).toEqual({ id: pending.id, status: 'COMPLETED', reason: null });
  });

  it('keeps the modes apart: a live app cannot see a sandbox order', async () => {
    const { id } = await order(45);
    expect(await gateway.getOrder(live, id)).toBeNull();
    expect(await gateway.getOrder(sandbox, id)).toMatchObject({ id, status: 'PAYER_ACTION_REQUIRED', amountMinor: 1999 });
  });

  it('verifies a webhook with PayPal for the configured webhook id over the bytes PayPal sent; a changed body or another webhook id fails', async () => {
    const event = fake.approve((await order(46)).id);
    const transmissionOf = (delivery: ReturnType<PaypalFake['deliver']>) => ({
      authAlgo: delivery.headers['PAYPAL-AUTH-ALGO'],
      certUrl: delivery.headers['PAYPAL-CERT-URL'],
      transmissionId: delivery.headers['PAYPAL-TRANSMISSION-ID'],
      transmissionSig: delivery.headers['PAYPAL-TRANSMISSION-SIG'],
      transmissionTime: delivery.headers['PAYPAL-TRANSMISSION-TIME'],
    });
    const delivery = fake.deliver(event, 'WH-SANDBOX-1');
    const transmission = transmissionOf(delivery);
    expect(await gateway.verifyWebhook(sandbox, 'WH-SANDBOX-1', transmission, delivery.body)).toBe(true);
    expect(await gateway.verifyWebhook(sandbox, 'WH-OTHER', transmission, delivery.body)).toBe(false);
    const changed = JSON.stringify({ ...event, event_type: 'PAYMENT.CAPTURE.COMPLETED' });
    expect(await gateway.verifyWebhook(sandbox, 'WH-SANDBOX-1', transmission, changed)).toBe(false);

    // PayPal's own spacing and escapes: the same event re-serialised would be other bytes, which PayPal refuses.
    const spaced = JSON.stringify({ ...event, summary: 'Checkout Order Approved – café' }, null, 2).replace('café', 'caf\\u00e9');
    const sent = fake.deliverText(spaced, 'WH-SANDBOX-1');
    expect(await gateway.verifyWebhook(sandbox, 'WH-SANDBOX-1', transmissionOf(sent), spaced)).toBe(true);
    expect(await gateway.verifyWebhook(sandbox, 'WH-SANDBOX-1', transmissionOf(sent), JSON.stringify(JSON.parse(spaced)))).toBe(false);
    // What reached PayPal carries the event's text as it was sent.
    const asked = fake.requests.filter((r) => r.path === '/v1/notifications/verify-webhook-signature').at(-2)!;
    expect(asked.body.webhook_event).toEqual(JSON.parse(spaced));
  });

  it('asks PayPal whether a webhook id is the app’s own; another app’s is as unknown as none', async () => {
    expect(await gateway.knowsWebhook(sandbox, 'WHSANDBOXAPP1')).toBe(true);
    expect(await gateway.knowsWebhook(live, 'WHSANDBOXAPP1')).toBe(false);
    expect(await gateway.knowsWebhook(live, 'WHNOSUCHHOOK')).toBe(false);
    expect(fake.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v1/notifications/webhooks/WHNOSUCHHOOK', clientId: live.clientId });
    await expect(gateway.knowsWebhook({ ...live, clientSecret: 'nope' }, 'WHLIVEAPP1')).rejects.toMatchObject({
      kind: 'misconfigured',
      details: { setting: 'client_secret', providerStatus: 401 },
    });
    fake.outage('/v1/notifications/webhooks/WHLIVEAPP1');
    try {
      await expect(gateway.knowsWebhook(live, 'WHLIVEAPP1')).rejects.toMatchObject({ kind: 'unavailable' });
    } finally {
      fake.restore('/v1/notifications/webhooks/WHLIVEAPP1');
    }
  });

  it('says PayPal is unavailable when it cannot be reached', async () => {
    const away = new PaypalGateway('http://127.0.0.1:9');
    await expect(away.checkCredentials(sandbox)).rejects.toMatchObject({ kind: 'unavailable' });
    await expect(away.knowsWebhook(sandbox, 'WHSANDBOXAPP1')).rejects.toMatchObject({ kind: 'unavailable' });
  });
});
