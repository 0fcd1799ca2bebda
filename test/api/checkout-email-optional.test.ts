import request from 'supertest';
import { startSmtpSink } from '../fakes/smtp-sink';
import * as official from '../fixtures/sellapp-official/models';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/**
 * Issue 24, the seed's "Disable Checkout Email": off (the default), every way a buyer checks out
 * (a key's POST /v2/invoices, the embed's fast checkout, the hosted page) requires the e-mail as
 * before; on, they take a checkout without one, and the order is still paid and delivered (the
 * deliverables on the order page), with no delivery e-mail tried and nothing flagged for ops.
 */
const SHOP = 'https://shop.example.com';
let h: Harness;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let store: Awaited<ReturnType<Harness['createStore']>>;
let paid: { productId: number; variantId: number };
let free: { productId: number; variantId: number };
let subscription: { productId: number; variantId: number };
let clients = 0;
/** Each request from its own address (the API trusts X-Forwarded-For from loopback), unless a test shares one. */
const newClient = () => `192.0.2.${(clients += 1)}`;

beforeAll(async () => {
  smtp = await startSmtpSink();
  h = await startHarness({ worker: true, env: { SMTP_URL: smtp.url, SMTP_FROM: 'Shop <no-reply@sellflow.test>' } });
  store = await h.createStore();
  await api('patch', '/settings/checkout', { embed_allowed_origins: [SHOP] }).expect(200);
  paid = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'PAID-GOODS' } }, price: 1500 });
  free = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'FREE-GOODS' } }, price: 0 });
  subscription = await createVariant(h, store.live, {
    deliverable: { types: ['MANUAL'], data: { comment: 'monthly' } },
    payment_methods: ['STRIPE'],
    pricing: { humble: false, price: { price: 1500, currency: 'USD' }, type: 'SUBSCRIPTION', frequency: { value: 1, interval: 'MONTH' } },
  });
}, 180_000);
afterAll(async () => {
  await h?.close();
  await smtp?.close();
});

function api(method: 'get' | 'post' | 'patch', path: string, body?: object) {
  return request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);
}
const embed = (method: 'get' | 'post', path: string, body?: object, client = newClient()) =>
  request(h.app)[method](`/api/v2/fast-checkout/${store.id}${path}`).set('X-Forwarded-For', client).set('Origin', SHOP).send(body);
const submit = (productId: number, form: Record<string, string>, client = newClient()) =>
  request(h.app).post(`/checkout/${store.slug}/${productId}`).set('X-Forwarded-For', client).type('form').send(form);
const invoiceCount = async () =>
  Number(
    (
      await h.db
        .selectFrom('invoices')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('store_id', '=', store.id)
        .executeTakeFirstOrThrow()
    ).n,
  );
const keyInvoice = (variantId: number, extra: object = {}) =>
  api('post', '/invoices', { payment_method: 'BTC', product_variants: { [variantId]: { quantity: 1 } }, ...extra });
const switchTo = async (disabled: boolean) =>
  expect(
    (await api('patch', '/settings/checkout', { disable_checkout_email: disabled }).expect(200)).body.data.disable_checkout_email,
  ).toBe(disabled);

describe('Disable Checkout Email off (the default): the e-mail is required everywhere', () => {
  it('is off until the seller turns it on, and takes only a boolean', async () => {
    expect((await api('get', '/settings/checkout').expect(200)).body.data.disable_checkout_email).toBe(false);
    const refused = await api('patch', '/settings/checkout', { disable_checkout_email: 'yes' });
    expect(refused.status).toBe(422);
    expect(refused.body.errors.disable_checkout_email).toBeDefined();
  });

  it('refuses each entry point without an e-mail, creating nothing', async () => {
    const before = await invoiceCount();
    const key = await keyInvoice(paid.variantId);
    expect(key.status).toBe(422);
    expect(key.body.error).toMatchObject({ code: 'missing_field', param: 'customer_email' });
    expect(key.body.errors.customer_email).toBeDefined();

    const fast = await embed('post', `/${free.productId}/${free.variantId}`, {
      payment_method: 'BTC',
      quantity: 1,
      terms_of_service: false,
    });
    expect(fast.status).toBe(422);
    // Listed with every other field at fault, as before the switch existed.
    expect(Object.keys(fast.body.errors).sort()).toEqual(['customer_email', 'terms_of_service']);

    const page = await request(h.app).get(`/checkout/${store.slug}/${free.productId}`).set('X-Forwarded-For', newClient()).expect(200);
    expect(page.text).toContain('name="customer_email"');
    const form = await submit(free.productId, {
      variant: String(free.variantId),
      quantity: '1',
      customer_email: '',
      payment_method: 'BTC',
    });
    expect(form.status).toBe(422);
    expect(form.text).toMatch(/name="customer_email"[^>]*aria-invalid=true/);
    expect(await invoiceCount()).toBe(before);
  });
});

describe('Disable Checkout Email on', () => {
  beforeAll(() => switchTo(true));
  afterAll(() => switchTo(false));

  it('a key creates an invoice without an e-mail: no customer, the SellApp model still decodes', async () => {
    const created = await keyInvoice(paid.variantId);
    expect(created.status).toBe(201);
    const invoice = created.body.data;
    // The official invoice model wants a string and an integer: '' and 0 say "none".
    expect(invoice.customer_information).toMatchObject({ email: '', id: 0 });
    expect(official.createdInvoice.safeParse(invoice).error).toBeUndefined();
    expect(official.invoice.safeParse((await api('get', `/invoices/${invoice.id}`).expect(200)).body.data).error).toBeUndefined();
    const row = await h.db
      .selectFrom('invoices')
      .select(['customer_email', 'customer_id'])
      .where('id', '=', invoice.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ customer_email: null, customer_id: null });
    // The official order model has a nullable customer.
    const order = (await api('get', `/orders/${invoice.id}`).expect(200)).body.data;
    expect(order.customer).toMatchObject({ id: null, email: null });
    expect(official.order.safeParse(order).error).toBeUndefined();
    // An e-mail given anyway is kept, and its customer made, as always.
    const withEmail = (await keyInvoice(paid.variantId, { customer_email: 'Given@Example.com' }).expect(201)).body.data;
    const linked = await h.db
      .selectFrom('invoices')
      .select(['customer_email', 'customer_id'])
      .where('id', '=', withEmail.id)
      .executeTakeFirstOrThrow();
    expect(linked.customer_email).toBe('given@example.com');
    expect(linked.customer_id).not.toBeNull();
  });

  it('a subscription still needs the e-mail', async () => {
    const refused = await api('post', '/invoices', {
      payment_method: 'STRIPE',
      product_variants: { [subscription.variantId]: { quantity: 1 } },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'missing_field', param: 'customer_email' });
    expect(refused.body.error.message).toMatch(/subscription/);
    // The hosted page of a subscription asks for it.
    const page = await request(h.app).get(`/checkout/${store.slug}/${subscription.productId}`).set('X-Forwarded-For', newClient());
    expect(page.text).toContain('name="customer_email"');
  });

  it('fast checkout takes an order without an e-mail; it is paid, delivered and shown, with no e-mail and no flag', async () => {
    const product = await embed('get', `/${free.productId}`).expect(200);
    expect(product.body.data.store.asks_customer_email).toBe(false);
    const bought = await embed('post', `/${free.productId}/${free.variantId}`, { payment_method: 'BTC', quantity: 1 });
    expect(bought.status).toBe(201);
    expect(bought.body.payment_url).toBeNull();
    const status = await waitFor(
      () => embed('get', `/orders/${bought.body.order.token}`).then((r) => r.body.data),
      (s) => s?.completed === true,
    );
    expect(JSON.stringify(status.deliverables)).toContain('FREE-GOODS');
    const id: number = bought.body.order.id;
    const invoice = (await api('get', `/invoices/${id}`).expect(200)).body.data;
    expect(invoice.status.status.status).toBe('COMPLETED');
    expect(invoice.delivery.needs_attention).toBe(false);
    expect(invoice.delivery.attention_reason ?? null).toBeNull();
    // The order's workflow is over, and its e-mail was never tried: no row, nothing at the mail server.
    expect(await h.db.selectFrom('delivery_emails').selectAll().where('invoice_id', '=', id).execute()).toEqual([]);
    expect(smtp.mails).toHaveLength(0);
    // A resend with no address sends nothing; one given an address sends the deliverables there.
    expect((await api('post', `/invoices/${id}/fulfillment-notifications`, {}).expect(200)).body.data.notifications_sent).toBe(0);
    await api('post', `/invoices/${id}/fulfillment-notifications`, { email: 'later@example.com' }).expect(200);
    expect(smtp.mails.map((m) => m.to)).toEqual([['later@example.com']]);
  });

  it('the hosted page does not ask for the e-mail and buys without one', async () => {
    const page = await request(h.app).get(`/checkout/${store.slug}/${free.productId}`).set('X-Forwarded-For', newClient()).expect(200);
    expect(page.text).not.toContain('name="customer_email"');
    // A seller's pre-filled address is still carried along.
    const prefilled = await request(h.app)
      .get(`/checkout/${store.slug}/${free.productId}?email=known@example.com`)
      .set('X-Forwarded-For', newClient())
      .expect(200);
    expect(prefilled.text).toContain('<input type="hidden" name="customer_email" value="known@example.com">');

    const before = await invoiceCount();
    const form = await submit(free.productId, { variant: String(free.variantId), quantity: '1', payment_method: 'BTC' });
    expect(form.status).toBe(303);
    expect(form.headers.location).toMatch(new RegExp(`^/checkout/${store.slug}/orders/fco_`));
    expect(await invoiceCount()).toBe(before + 1);
    const row = await h.db
      .selectFrom('invoices')
      .select(['customer_email', 'customer_id'])
      .where('store_id', '=', store.id)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ customer_email: null, customer_id: null });
  });

  it('screening and attempt limits skip the e-mail but still apply to the IP', async () => {
    const rule = await request(h.app)
      .post('/api/v1/blacklists')
      .set('Authorization', `Bearer ${store.live}`)
      .send({ type: 'IP', data: '192.0.2.250', description: 'abuse' });
    expect(rule.status).toBe(200);
    await request(h.app)
      .post('/api/v1/blacklists')
      .set('Authorization', `Bearer ${store.live}`)
      .send({ type: 'WILDCARD_EMAIL', data: '*@*', description: 'every address' })
      .expect(200);
    try {
      // No address: the e-mail rule matches nothing; the IP rule still refuses.
      await keyInvoice(paid.variantId, { customer_ip: '192.0.2.249' }).expect(201);
      const blocked = await keyInvoice(paid.variantId, { customer_ip: '192.0.2.250' });
      expect(blocked.status).toBe(403);
      const record = await h.db
        .selectFrom('blocked_checkouts')
        .select(['customer_email', 'customer_ip'])
        .where('store_id', '=', store.id)
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      expect(record).toEqual({ customer_email: null, customer_ip: '192.0.2.250' });
      const listed = await request(h.app).get('/api/v1/blacklists/blocked').set('Authorization', `Bearer ${store.live}`).expect(200);
      expect(listed.body.data[0]).toMatchObject({ customer_email: null, customer_ip: '192.0.2.250' });
    } finally {
      await h.db.deleteFrom('blacklists').where('store_id', '=', store.id).execute();
    }

    await api('patch', '/settings/checkout', { checkout_rate_limits: { email_per_hour: 1, ip_per_hour: 2 } }).expect(200);
    try {
      const client = newClient();
      const attempt = () => embed('post', `/${free.productId}/${free.variantId}`, { payment_method: 'BTC', quantity: 1 }, client);
      // The per-e-mail limit of one does not count buyers without an address together.
      expect((await attempt()).status).toBe(201);
      expect((await attempt()).status).toBe(201);
      const third = await attempt();
      expect(third.status).toBe(429);
      expect(third.headers['retry-after']).toBeDefined();
    } finally {
      await api('patch', '/settings/checkout', { checkout_rate_limits: { email_per_hour: null, ip_per_hour: null } }).expect(200);
    }
  });
});
