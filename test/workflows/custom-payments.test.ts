import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { expireDueInvoices } from '../../src/orders/expire-invoices';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/** Custom payment methods at checkout: instructions or a filled redirect, the buyer's proof, the seller's review. */
/**
 * Discord's webhook endpoint, for the store's notification channel (the event names it was sent),
 * and at /hook the seller's webhook endpoint (the events delivered to it).
 */
const discordTitles: string[] = [];
const hooks: { type: string; data: { id: number } }[] = [];
const discord = http.createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    if (req.url === '/hook') hooks.push(JSON.parse(body) as (typeof hooks)[number]);
    else discordTitles.push(...(JSON.parse(body) as { embeds: { title: string }[] }).embeds.map((e) => e.title));
    res.writeHead(204).end();
  });
});

let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
beforeAll(async () => {
  await new Promise<void>((resolve) => discord.listen(0, '127.0.0.1', resolve));
  h = await startHarness({
    worker: true,
    env: {
      DISCORD_API_BASE: `http://127.0.0.1:${(discord.address() as AddressInfo).port}`,
      // The crypto checkout's rates: one BTC priced in dollars, euros and yen (1 EUR = 1.25 USD, 150 JPY = 1 USD).
      CRYPTO_FIXED_RATES: JSON.stringify({ BTC: { USD: '50000', EUR: '40000', JPY: '7500000' } }),
    },
  });
  store = await h.createStore();
  const channel = await request(h.app)
    .post('/api/v2/notifications')
    .set('Authorization', `Bearer ${store.live}`)
    .send({
      kind: 'discord',
      webhook_url: 'https://discord.com/api/webhooks/123/abc-TOKEN',
      events: ['order.pending', 'order.payment_review_required', 'order.manual_payment_completed'],
    });
  expect(channel.status).toBe(201);
  // A second channel through SellApp's store notification channels: the same fan-out hears it.
  const sellapp = await request(h.app)
    .post('/api/v2/store/notification-channels')
    .set('Authorization', `Bearer ${store.live}`)
    .send({
      channel: {
        type: 'discord',
        channel: 'payments',
        webhook: 'https://discord.com/api/webhooks/456/def-TOKEN',
        allowed_notifications: ['order.manual_payment_completed'],
      },
    });
  expect(sellapp.status).toBe(201);
  const endpoint = await request(h.app)
    .post('/api/v2/webhooks')
    .set('Authorization', `Bearer ${store.live}`)
    .send({ url: `http://127.0.0.1:${(discord.address() as AddressInfo).port}/hook`, events: ['order.manual_payment_completed'] });
  expect(endpoint.status).toBe(201);
});
afterAll(async () => {
  await h.close();
  await new Promise<void>((resolve) => discord.close(() => resolve()));
});

const api = (method: 'get' | 'post' | 'patch' | 'put' | 'delete', path: string, body?: object) =>
  request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);
const buyer = (method: 'get' | 'post', path: string, body?: object) =>
  request(h.app)[method](`/api/v2/fast-checkout/${store.id}${path}`).send(body);

async function customMethod(body: object): Promise<string> {
  const res = await api('post', '/payment-methods/custom', body);
  if (res.status !== 201) throw new Error(JSON.stringify(res.body));
  return res.body.data.id;
}

async function invoice(variantId: number, methodId: string, email = 'buyer+tag@example.com') {
  const res = await api('post', '/invoices', {
    customer_email: email,
    payment_method: 'CUSTOM_PAYMENT_METHOD',
    custom_payment_method_id: methodId,
    product_variants: { [variantId]: { quantity: 2 } },
  });
  if (res.status !== 201) throw new Error(JSON.stringify(res.body));
  return res.body.data;
}

const view = async (id: number) => (await api('get', `/invoices/${id}`)).body.data;
/** Events of one transaction share a created_at; among themselves they read in the order they are recorded. */
const RECORDED_ORDER = ['order.created', 'order.pending', 'order.payment_review_required', 'order.paid', 'order.manual_payment_completed'];
const eventsOf = async (id: number) =>
  (await h.db.selectFrom('events').select(['type', 'data', 'created_at']).where('store_id', '=', store.id).execute())
    .filter((e) => (e.data as { id?: number }).id === id)
    .sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || RECORDED_ORDER.indexOf(a.type) - RECORDED_ORDER.indexOf(b.type))
    .map((e) => e.type);

let bank: string;
let redirect: string;
let variantId: number;
let productId: number;
beforeAll(async () => {
  bank = await customMethod({
    type: 'instructions',
    name: 'Bank transfer',
    instructions: 'IBAN DE00 1234',
    steps: ['Transfer the total', 'Use the invoice id as reference'],
    require_proof_of_payment: true,
    // A 10 % fee (negative = fee).
    modifier: { percentage: -10 },
  });
  redirect = await customMethod({
    type: 'redirect',
    name: 'Own page',
    redirect_url:
      'https://pay.example.com/checkout?order={invoice_id}&email={customer_email}&amount={price}&what={product_name}&n={quantity}',
  });
  ({ variantId, productId } = await createVariant(
    h,
    store.live,
    {
      deliverable: { types: ['TEXT'], data: { serials: 'S-1,S-2,S-3,S-4,S-5,S-6' } },
      price: 1500,
      custom_payment_method_ids: [bank, redirect],
    },
    { title: 'Key & "Pro"' },
  ));
});

describe('custom payment methods at checkout', () => {
  it('a variant offers only the store’s own methods, and an invoice only the variant’s', async () => {
    const other = await customMethod({ type: 'instructions', name: 'Cash', instructions: 'Hand it over' });
    const unknown = await api('patch', `/products/${productId}/variants/${variantId}`, { custom_payment_method_ids: ['x'.repeat(26)] });
    expect(unknown.status).toBe(422);
    expect(unknown.body.param).toBe('custom_payment_method_ids');
    const refused = await api('post', '/invoices', {
      customer_email: 'b@example.com',
      payment_method: 'CUSTOM_PAYMENT_METHOD',
      custom_payment_method_id: other,
      product_variants: { [variantId]: { quantity: 1 } },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.param).toBe('custom_payment_method_id');
    const missing = await api('post', '/invoices', {
      customer_email: 'b@example.com',
      payment_method: 'CUSTOM_PAYMENT_METHOD',
      product_variants: { [variantId]: { quantity: 1 } },
    });
    expect(missing.status).toBe(422);
  });

  it('CRUD: 422 for more than three steps, an unknown {var} or a non-http(s) URL; PUT resets what it omits, PATCH keeps it; DELETE takes it off variants', async () => {
    const refused = async (body: object, param: string) => {
      const res = await api('post', '/payment-methods/custom', body);
      expect(res.status).toBe(422);
      expect(res.body.param).toBe(param);
    };
    await refused({ type: 'instructions', name: 'Four', steps: ['a', 'b', 'c', 'd'] }, 'steps');
    await refused({ type: 'redirect', name: 'Typo', redirect_url: 'https://pay.example.com/?a={amount}' }, 'redirect_url');
    await refused({ type: 'redirect', name: 'Script', redirect_url: 'javascript:alert(1)' }, 'redirect_url');
    await refused({ type: 'redirect', name: 'Ftp', redirect_url: 'ftp://pay.example.com/{id}' }, 'redirect_url');

    const id = await customMethod({
      type: 'instructions',
      name: 'Wire',
      description: 'By wire',
      instructions: 'IBAN XX',
      steps: ['one', 'two'],
      require_proof_of_payment: true,
      skip_interstitial_page: true,
      enabled: false,
      sort_order: 5,
      modifier: { percentage: -5 },
    });
    const patched = await api('patch', `/payment-methods/custom/${id}`, { name: 'Wire transfer' });
    expect(patched.status).toBe(200);
    expect(patched.body.data).toMatchObject({
      name: 'Wire transfer',
      description: 'By wire',
      steps: ['one', 'two'],
      require_proof_of_payment: true,
      skip_interstitial_page: true,
      enabled: false,
      sort_order: 5,
      modifier: { percentage: '-5.00' },
    });
    expect((await api('patch', `/payment-methods/custom/${id}`, { steps: ['1', '2', '3', '4'] })).status).toBe(422);
    const replaced = await api('put', `/payment-methods/custom/${id}`, { type: 'instructions', name: 'Wire', instructions: 'IBAN YY' });
    expect(replaced.status).toBe(200);
    expect(replaced.body.data).toMatchObject({
      name: 'Wire',
      instructions: 'IBAN YY',
      description: null,
      steps: [],
      require_proof_of_payment: false,
      skip_interstitial_page: false,
      show_processing_status_page: false,
      enabled: true,
      sort_order: 0,
      modifier: null,
    });

    const { variantId: offering, productId: product } = await createVariant(h, store.live, {
      deliverable: { types: ['TEXT'], data: { serials: 'D-1' } },
      custom_payment_method_ids: [id, bank],
    });
    expect((await api('delete', `/payment-methods/custom/${id}`)).status).toBe(200);
    const variant = await api('get', `/products/${product}/variants/${offering}`);
    expect(variant.body.data.custom_payment_method_ids).toEqual([bank]);
    expect((await api('get', `/payment-methods/custom/${id}`)).status).toBe(404);
    expect((await api('get', '/payment-methods/custom')).body.data.map((m: { id: string }) => m.id)).not.toContain(id);
  });

  it('instructions with proof: reviewed, then completed and delivered once', async () => {
    const created = await invoice(variantId, bank);
    // 2 × 15.00 + 10 % fee.
    expect(created.payment.gateway.data.total.base).toBe('3300');
    expect(created.custom_payment).toMatchObject({ custom_payment_method_id: bank, name: 'Bank transfer', proof: null });

    const checkout = await api('post', `/invoices/${created.id}/checkout`);
    expect(checkout.status).toBe(200);
    expect(checkout.body.custom).toMatchObject({
      type: 'instructions',
      instructions: 'IBAN DE00 1234',
      steps: ['Transfer the total', 'Use the invoice id as reference'],
      require_proof_of_payment: true,
      redirect_url: null,
      total: '3300',
    });
    const token: string = checkout.body.custom.order_token;
    expect(token).toMatch(/^fco_/);
    expect(checkout.body.custom.proof_url).toContain(`/orders/${token}/proof`);
    // Waiting for the proof: PENDING, not yet the seller's to review.
    expect((await view(created.id)).status.status.status).toBe('PENDING');
    expect(await eventsOf(created.id)).toEqual(['order.created', 'order.pending']);
    // A second checkout shows the same page and records nothing new.
    expect((await api('post', `/invoices/${created.id}/checkout`)).body.custom.order_token).toBeNull();
    expect(await eventsOf(created.id)).toEqual(['order.created', 'order.pending']);

    // A wrong token is no order; a proof without text or image, or a bad image, is refused.
    const wrong = `fco_${'A'.repeat(32)}`;
    expect((await buyer('post', `/orders/${wrong}/proof`, { text: 'paid' })).status).toBe(404);
    expect(
      (await buyer('post', `/orders/${wrong}/proof/uploads`, { file_name: 'a.png', content_type: 'image/png', content_length: 10 })).status,
    ).toBe(404);
    expect((await buyer('post', `/orders/${token}/proof`, {})).status).toBe(422);
    const pdf = await buyer('post', `/orders/${token}/proof/uploads`, {
      file_name: 'a.pdf',
      content_type: 'application/pdf',
      content_length: 10,
    });
    expect(pdf.status).toBe(422);
    expect(pdf.body.errors?.content_type ?? pdf.body.param ?? pdf.body).toBeTruthy();
    const huge = await buyer('post', `/orders/${token}/proof/uploads`, {
      file_name: 'a.png',
      content_type: 'image/png',
      content_length: 6 * 1024 * 1024,
    });
    expect(huge.status).toBe(422);
    expect((await buyer('post', `/orders/${token}/proof`, { image_key: `sellers/${store.id}/api/elsewhere.png` })).status).toBe(422);

    // The screenshot through the upload path, then the proof.
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const upload = await buyer('post', `/orders/${token}/proof/uploads`, {
      file_name: 'receipt.png',
      content_type: 'image/png',
      content_length: png.length,
    });
    expect(upload.status).toBe(201);
    const notYet = await buyer('post', `/orders/${token}/proof`, { image_key: upload.body.data.key });
    expect(notYet.status).toBe(422);
    const put = await request(h.app)
      .put(new URL(upload.body.data.url).pathname + new URL(upload.body.data.url).search)
      .set('Content-Type', 'image/png')
      .send(png);
    expect(put.status).toBeLessThan(300);
    const proof = await buyer('post', `/orders/${token}/proof`, { text: 'Paid from DE99, ref 42', image_key: upload.body.data.key });
    expect(proof.status).toBe(201);
    expect(proof.body.data).toEqual({ order_id: created.id, status: 'REVIEW' });

    const reviewed = await view(created.id);
    expect(reviewed.status.status.status).toBe('REVIEW');
    expect(reviewed.delivery.needs_attention).toBe(true);
    expect(reviewed.delivery.attention_reason).toMatch(/^custom_payment_review: proof of payment submitted for Bank transfer/);
    expect(reviewed.custom_payment.proof).toMatchObject({ text: 'Paid from DE99, ref 42', has_image: true });
    const seen = await api('get', `/invoices/${created.id}/payment-proof`);
    expect(seen.status).toBe(200);
    expect(seen.body.data.image_url).toContain('/files/');
    const image = await request(h.app).get(new URL(seen.body.data.image_url).pathname + new URL(seen.body.data.image_url).search);
    expect(Buffer.from(image.body as Buffer).equals(png)).toBe(true);
    expect((await api('get', '/ops/stuck-orders')).body.data.map((o: { id: number }) => o.id)).toContain(created.id);
    expect(await eventsOf(created.id)).toEqual(['order.created', 'order.pending', 'order.payment_review_required']);
    // The buyer follows it by the same token.
    expect((await buyer('get', `/orders/${token}`)).body.data).toMatchObject({ order_id: created.id, status: 'REVIEW' });

    // In review, the payment window closing voids nothing: only the seller decides.
    await h.db
      .updateTable('invoices')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', created.id)
      .execute();
    await expireDueInvoices(h.db, 100);
    expect((await view(created.id)).status.status.status).toBe('REVIEW');

    expect((await api('patch', `/invoices/${created.id}/mark-completed`)).status).toBe(200);
    // A second click delivers nothing twice.
    expect((await api('patch', `/invoices/${created.id}/mark-completed`)).status).toBeLessThan(500);
    const done = await waitFor(
      () => view(created.id),
      (b) => b.status.status.status === 'COMPLETED',
    );
    expect(done.status.history.map((e: { status: string }) => e.status)).toEqual(['PENDING', 'REVIEW', 'PAID']);
    expect(done.delivery.needs_attention).toBe(false);
    expect(done.delivery.steps.map((s: { status: string; attempts: number }) => [s.status, s.attempts])).toEqual([['delivered', 1]]);
    const sold = await h.db
      .selectFrom('variant_serials')
      .select('value')
      .where('variant_id', '=', variantId)
      .where('status', '=', 'SOLD')
      .execute();
    expect(sold).toHaveLength(2);
    expect((await buyer('post', `/orders/${token}/proof`, { text: 'again' })).status).toBe(409);
    expect(await eventsOf(created.id)).toEqual([
      'order.created',
      'order.pending',
      'order.payment_review_required',
      'order.paid',
      'order.manual_payment_completed',
      'order.completed',
    ]);
    // The seller's confirmation reaches the webhook endpoint once (two clicks) and the notification channel.
    await waitFor(
      () => Promise.resolve(hooks.filter((e) => e.data.id === created.id)),
      (delivered) => delivered.length > 0,
    );
    // Once on each channel that subscribed to it.
    await waitFor(
      () => Promise.resolve(discordTitles.filter((t) => t === 'order.manual_payment_completed')),
      (titles) => titles.length === 2,
    );
    expect(hooks.filter((e) => e.data.id === created.id)).toEqual([
      expect.objectContaining({
        type: 'order.manual_payment_completed',
        data: { id: created.id, status: 'PAID', payment_method: 'CUSTOM_PAYMENT_METHOD', custom_payment_method_id: bank },
      }),
    ]);
  });

  it('redirect: the seller’s URL filled and encoded, in review at once, then voided', async () => {
    const created = await invoice(variantId, redirect, 'a+b@example.com');
    const checkout = await api('post', `/invoices/${created.id}/checkout`);
    expect(checkout.status).toBe(200);
    const expected = `https://pay.example.com/checkout?order=${created.id}&email=a%2Bb%40example.com&amount=30.00&what=Key%20%26%20%22Pro%22%20%E2%80%94%20Default&n=2`;
    expect(checkout.body.custom).toMatchObject({
      type: 'redirect',
      redirect_url: expected,
      require_proof_of_payment: false,
      instructions: null,
    });
    expect(checkout.body.payment_url).toBe(expected);
    const waiting = await view(created.id);
    expect(waiting.status.status.status).toBe('REVIEW');
    expect(waiting.delivery.needs_attention).toBe(true);
    expect(await eventsOf(created.id)).toEqual(['order.created', 'order.pending', 'order.payment_review_required']);
    // Both reach the store's notification channel.
    await waitFor(
      () => Promise.resolve([...discordTitles]),
      (titles) => titles.includes('order.pending') && titles.includes('order.payment_review_required'),
    );
    // The order's own checkout answers the same page while it waits.
    const again = await api('post', `/orders/${created.id}/checkout`);
    expect(again.status).toBe(201);
    expect(again.body.custom.redirect_url).toBe(expected);

    expect((await api('patch', `/invoices/${created.id}/mark-voided`)).status).toBe(200);
    const voided = await view(created.id);
    expect(voided.status.status.status).toBe('VOIDED');
    expect(voided.delivery.needs_attention).toBe(false);
    expect((await api('patch', `/invoices/${created.id}/mark-completed`)).status).toBe(409);
    expect((await api('get', '/ops/stuck-orders')).body.data.map((o: { id: number }) => o.id)).not.toContain(created.id);
    // Voided, never paid: no manual completion is recorded.
    expect(await eventsOf(created.id)).not.toContain('order.manual_payment_completed');
  });

  it('redirect: {price} in the currency’s own digits and {price_usd} converted with the crypto rates, kept from the first checkout', async () => {
    const page = await customMethod({
      type: 'redirect',
      name: 'Priced page',
      redirect_url: 'https://pay.example.com/p?c={currency}&a={price}&u={price_usd}',
    });
    const priced = async (price: number, currency: string) => {
      const { variantId: id } = await createVariant(h, store.live, {
        deliverable: { types: ['TEXT'], data: { serials: 'P-1,P-2' } },
        pricing: { humble: false, price: { price, currency } },
        custom_payment_method_ids: [page],
      });
      const res = await api('post', '/invoices', {
        customer_email: `priced-${currency}@example.com`,
        payment_method: 'CUSTOM_PAYMENT_METHOD',
        custom_payment_method_id: page,
        product_variants: { [id]: { quantity: 1 } },
      });
      if (res.status !== 201) throw new Error(JSON.stringify(res.body));
      return res.body.data as { id: number };
    };
    const urlOf = async (id: number) => {
      const res = await api('post', `/invoices/${id}/checkout`);
      return {
        status: res.status,
        url: res.body.custom?.redirect_url as string | undefined,
        code: res.body.error?.code as string | undefined,
      };
    };
    const eur = await priced(1234, 'EUR');
    // 12.34 EUR × 1.25 = 15.425 USD, rounded half up.
    expect(await urlOf(eur.id)).toMatchObject({ status: 200, url: 'https://pay.example.com/p?c=EUR&a=12.34&u=15.43' });
    const yen = await priced(1999, 'JPY');
    // Yen have no minor digits: 1999 JPY / 150 = 13.3266… USD.
    expect(await urlOf(yen.id)).toMatchObject({ status: 200, url: 'https://pay.example.com/p?c=JPY&a=1999&u=13.33' });
    const usd = await priced(1500, 'USD');
    expect((await urlOf(usd.id)).url).toBe('https://pay.example.com/p?c=USD&a=15.00&u=15.00');
    // The dollar price is kept: the page's link does not move with the rate, nor is the rate asked again.
    const kept = await h.db.selectFrom('invoices').select('gateway').where('id', '=', eur.id).executeTakeFirstOrThrow();
    expect((kept.gateway as { data: { custom_price_usd: string } }).data.custom_price_usd).toBe('15.43');
    expect((await urlOf(eur.id)).url).toBe('https://pay.example.com/p?c=EUR&a=12.34&u=15.43');
    // A currency without a rate: no price for the seller's page, so no page (the rate source's own answer).
    const gbp = await priced(1000, 'GBP');
    expect(await urlOf(gbp.id)).toEqual({ status: 422, url: undefined, code: 'rate_unavailable' });
    expect((await view(gbp.id)).status.status.status).toBe('PENDING');
  });

  it('a fixed fee is an amount of the invoice’s own currency: 5 is five dollars, five yen or five dinars', async () => {
    const counter = await customMethod({
      type: 'instructions',
      name: 'Counter',
      instructions: 'Pay at the counter',
      modifier: { fixed: -5 },
    });
    const totalIn = async (currency: string) => {
      const { variantId: id } = await createVariant(h, store.live, {
        deliverable: { types: ['TEXT'], data: { serials: 'F-1,F-2' } },
        pricing: { humble: false, price: { price: 1000, currency } },
        custom_payment_method_ids: [counter],
      });
      const placed = await invoice(id, counter, `fee-${currency}@example.com`);
      return (await h.db.selectFrom('invoices').select('total_cents').where('id', '=', placed.id).executeTakeFirstOrThrow()).total_cents;
    };
    // Two at 1000 minor units each, plus the fee in the currency's minor units.
    expect([await totalIn('USD'), await totalIn('JPY'), await totalIn('KWD')]).toEqual([2000 + 500, 2000 + 5, 2000 + 5000]);
  });

  it('fast checkout: the buyer’s own order token sends the proof', async () => {
    const placed = await request(h.app)
      .post(`/api/v2/fast-checkout/${store.id}/${productId}/${variantId}`)
      .send({ customer_email: 'fast@example.com', payment_method: 'CUSTOM_PAYMENT_METHOD', custom_payment_method_id: bank, quantity: 1 });
    expect(placed.status).toBe(201);
    expect(placed.body.custom).toMatchObject({
      type: 'instructions',
      require_proof_of_payment: true,
      order_token: placed.body.order.token,
    });
    const proof = await buyer('post', `/orders/${placed.body.order.token}/proof`, { text: 'sent' });
    expect(proof.status).toBe(201);
    expect((await view(placed.body.order.id)).status.status.status).toBe('REVIEW');
  });
});
