import request from 'supertest';
import { type StripeBilling, startStripeBilling } from '../fakes/stripe-billing';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/**
 * Issue 24 item 3, the hosted checkout's pages and the order status a buyer follows by token:
 * the product page (pre-filled, seller text escaped, a strict CSP), the form's refusals beside
 * their fields, buying through fast checkout's path, Stripe sending the buyer back to the order
 * page, and the order found only by its token: a wrong or another store's token is a 404 that
 * shows nothing, and the goods appear only once delivered. The browser test is
 * test/e2e/hosted-checkout-browser.test.ts.
 */
const XSS = '<script>alert("x")</script>';
let stripe: StripeBilling;
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
let other: Awaited<ReturnType<Harness['createStore']>>;
let productId: number;
let variantId: number;
let clients = 0;
const newClient = () => `203.0.113.${(clients += 1)}`;

beforeAll(async () => {
  stripe = await startStripeBilling();
  h = await startHarness({ worker: true, database: 'postgres', env: { STRIPE_API_BASE: stripe.url } });
  store = await h.createStore();
  other = await h.createStore();
  await api('put', '/settings/payment-methods/STRIPE', { secret_key: 'sk_live_hosted', webhook_secret: 'whsec_hosted' }).expect(200);
  ({ productId, variantId } = await createVariant(
    h,
    store.live,
    { deliverable: { types: ['MANUAL'], data: { comment: 'SECRET-GOODS' } }, price: 1500, payment_methods: ['STRIPE'] },
    {
      title: `Rare skin ${XSS}`,
      additional_information: [{ type: 'text', label: `Username ${XSS}`, key: 'username', required: true }],
    },
  ));
  await api('patch', `/products/${productId}`, {
    description: `Best skin ${XSS}`,
    other_settings: { redirect_url: 'https://shop.example.com/done?order=[order_id]&email=[customer_email]' },
  }).expect(200);
}, 180_000);
afterAll(async () => {
  await h?.close();
  await stripe?.close();
});

function api(method: 'get' | 'post' | 'patch' | 'put', path: string, body?: object, key = store.live) {
  return request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${key}`).send(body);
}
const page = (path: string, client = newClient()) => request(h.app).get(`/checkout/${path}`).set('X-Forwarded-For', client);
const submit = (form: Record<string, string>, client = newClient()) =>
  request(h.app).post(`/checkout/${store.slug}/${productId}`).set('X-Forwarded-For', client).type('form').send(form);
const invoiceCount = async () =>
  (
    await h.db
      .selectFrom('invoices')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow()
  ).n;

const goodForm = (extra: Record<string, string> = {}) => ({
  variant: String(variantId),
  quantity: '2',
  customer_email: 'buyer+1@e.co',
  payment_method: 'STRIPE',
  'additional-username': 'JohnDoe',
  ...extra,
});

describe('the product page', () => {
  it('shows the product pre-filled from the link, escapes the seller text, and sends a strict CSP', async () => {
    const res = await page(`${store.slug}/${productId}?email=fan@e.co&quantity=3&additional-username=Jo%22hn&payment_method=STRIPE`).expect(
      200,
    );
    expect(res.headers['content-type']).toMatch(/text\/html/);
    const csp = res.headers['content-security-policy'];
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.text).not.toContain(XSS);
    expect(res.text).toContain('Rare skin &lt;script&gt;');
    expect(res.text).toContain('Username &lt;script&gt;');
    expect(res.text).toContain('Best skin &lt;script&gt;');
    expect(res.text).toContain('value="fan@e.co"');
    expect(res.text).toContain('value="3"');
    // A quote in a pre-fill cannot close the attribute.
    expect(res.text).toContain('value="Jo&quot;hn"');
    expect(res.text).not.toContain('SECRET-GOODS');
    // By slug and by id alike; the product by its id here.
    await page(`${store.id}/${productId}`).expect(200);
  });

  it('answers an unknown store or product with a 404 page', async () => {
    const missing = await page(`${store.slug}/999999`);
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('nothing to buy');
    expect((await page(`no-such-store/${productId}`)).status).toBe(404);
    // Another store's product is not on this store's page.
    expect((await page(`${other.slug}/${productId}`)).status).toBe(404);
  });

  it('shows refusals beside their fields (422), keeps what the buyer typed, and creates nothing', async () => {
    const before = await invoiceCount();
    const bad = await submit(goodForm({ customer_email: 'not-an-email', 'additional-username': '' }));
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('Please check the form.');
    expect(bad.text).toMatch(/name="customer_email"[^>]*value="not-an-email"[^>]*aria-invalid=true/);
    const unanswered = await submit(goodForm({ 'additional-username': '' }));
    expect(unanswered.status).toBe(422);
    expect(unanswered.text).toMatch(/name="additional-username"[^>]*aria-invalid=true/);
    expect(unanswered.text).toContain('is required');
    const noVariant = await submit(goodForm({ variant: 'x' }));
    expect(noVariant.status).toBe(422);
    expect(noVariant.text).toContain('Choose one of the options');
    expect(await invoiceCount()).toBe(before);
  });

  it('refuses a blacklisted buyer with 403 and the attempt limit with 429 and Retry-After', async () => {
    expect((await api('post', '/blacklists', { type: 'EMAIL', data: 'fraud@e.co', description: 'chargebacks' })).status).toBeLessThan(300);
    const blocked = await submit(goodForm({ customer_email: 'fraud@e.co' }));
    expect(blocked.status).toBe(403);
    expect(blocked.text).toContain('This order cannot be placed.');
    await api('patch', '/settings/checkout', { checkout_rate_limits: { ip_email_per_hour: 1, window_seconds: 300 } }).expect(200);
    try {
      const client = newClient();
      expect((await submit(goodForm({ customer_email: 'twice@e.co' }), client)).status).toBe(303);
      const again = await submit(goodForm({ customer_email: 'twice@e.co' }), client);
      expect(again.status).toBe(429);
      expect(Number(again.headers['retry-after'])).toBeGreaterThan(0);
      expect(again.text).toContain('Too many attempts');
    } finally {
      await api('patch', '/settings/checkout', { checkout_rate_limits: { ip_email_per_hour: null, window_seconds: null } }).expect(200);
    }
  });
});

describe('buying and following the order', () => {
  it('sends the buyer to Stripe, which returns them to the order page; the goods and the redirect appear once delivered', async () => {
    const bought = await submit(goodForm());
    expect(bought.status).toBe(303);
    expect(bought.headers.location).toMatch(/^https:\/\/checkout\.stripe\.test\/c\/pay\/cs_live_/);
    const session = stripe.requests.filter((r) => r.path === '/v1/checkout/sessions').at(-1)!;
    const successUrl = String(session.body.success_url);
    const base = h.config.api.publicBaseUrl.replace(/\/$/, '');
    expect(successUrl).toMatch(new RegExp(`^${base}/checkout/${store.slug}/orders/fco_[\\w-]{32}\\?checkout=success$`));
    const token = /orders\/(fco_[\w-]{32})/.exec(successUrl)![1]!;
    const orderPath = `${store.slug}/orders/${token}`;

    const waiting = await page(orderPath).expect(200);
    expect(waiting.text).toContain('Waiting for your payment');
    expect(waiting.text).toContain(`href="${bought.headers.location}"`);
    expect(waiting.text).toContain('hx-trigger="every 2s"');
    expect(waiting.text).not.toContain('SECRET-GOODS');
    expect(waiting.headers['cache-control']).toBe('no-store');
    const status = () =>
      request(h.app)
        .get(`/api/v2/fast-checkout/${store.id}/orders/${token}`)
        .set('X-Forwarded-For', newClient())
        .then((r) => r.body.data);
    const pending = await status();
    expect(pending).toMatchObject({ status: 'PENDING', completed: false, payment_url: bought.headers.location, deliverables: null });
    expect(pending.lines).toEqual([{ title: expect.stringContaining('Rare skin'), quantity: 2 }]);
    // The buyer's own details and the seller's side are not in it.
    expect(JSON.stringify(pending)).not.toMatch(/buyer\+1@e\.co|203\.0\.113|attention/);

    await api('patch', `/invoices/${pending.order_id}/mark-completed`).expect(200);
    const done = await waitFor(status, (s) => s.completed === true, 60_000);
    expect(done.deliverables.lines).toEqual([expect.objectContaining({ quantity: 2, manual: 'SECRET-GOODS' })]);
    expect(done.redirect_url).toBe(`https://shop.example.com/done?order=${pending.order_id}&email=buyer%2B1%40e.co`);
    expect(done.payment_url).toBeNull();
    const delivered = await page(orderPath).expect(200);
    expect(delivered.text).toContain('SECRET-GOODS');
    expect(delivered.text).toContain('data-testid="redirect-link"');
    // Settled: the page no longer polls, and a poll still running is told to stop (htmx's 286).
    expect(delivered.text).not.toContain('hx-trigger');
    const live = await page(`${orderPath}/live`);
    expect(live.status).toBe(286);
    expect(live.text).toContain('SECRET-GOODS');
  }, 90_000);

  it('finds an order by its token only: a wrong token, another store, or the order id is a 404 that shows nothing', async () => {
    const bought = await submit(goodForm({ customer_email: 'private@e.co' }));
    expect(bought.status).toBe(303);
    const session = stripe.requests.filter((r) => r.path === '/v1/checkout/sessions').at(-1)!;
    const token = /orders\/(fco_[\w-]{32})/.exec(String(session.body.success_url))![1]!;
    const invoice = await h.db.selectFrom('invoices').select('id').where('customer_email', '=', 'private@e.co').executeTakeFirstOrThrow();
    await page(`${store.slug}/orders/${token}`).expect(200);

    const wrong = `fco_${'A'.repeat(32)}`;
    const tries = [
      `${store.slug}/orders/${wrong}`,
      `${store.slug}/orders/${wrong}/live`,
      `${other.slug}/orders/${token}`,
      `${other.slug}/orders/${token}/live`,
      `${store.slug}/orders/${invoice.id}`,
      `${store.slug}/orders/${token.slice(0, -1)}`,
    ];
    for (const path of tries) {
      const res = await page(path);
      expect([path, res.status]).toEqual([path, 404]);
      expect(res.text).not.toContain('private@e.co');
      expect(res.text).not.toContain(`#${invoice.id}`);
    }
    const json = await request(h.app).get(`/api/v2/fast-checkout/${other.id}/orders/${token}`).set('X-Forwarded-For', newClient());
    expect(json.status).toBe(404);
    expect(JSON.stringify(json.body)).not.toContain('private@e.co');
    expect((await request(h.app).get(`/api/v2/fast-checkout/${store.id}/orders/${wrong}`).set('X-Forwarded-For', newClient())).status).toBe(
      404,
    );
  });
});

describe("an invoice's own checkout page", () => {
  const keyInvoice = async (email: string) =>
    (
      await api('post', '/invoices', {
        customer_email: email,
        payment_method: 'STRIPE',
        product_variants: { [variantId]: { quantity: 1, additional_information: { username: 'Key' } } },
      }).expect(201)
    ).body.data as { id: number; checkout: string };

  it("is the invoice's `checkout` until Stripe's page opens; paying there returns to it, and it shows the goods once delivered", async () => {
    const invoice = await keyInvoice('keyed@e.co');
    const base = h.config.api.publicBaseUrl.replace(/\/$/, '');
    expect(invoice.checkout).toMatch(new RegExp(`^${base}/checkout/${store.slug}/invoices/${invoice.id}/[\\w-]{32}$`));
    const pagePath = new URL(invoice.checkout).pathname;
    const before = await request(h.app).get(pagePath).set('X-Forwarded-For', newClient()).expect(200);
    expect(before.text).toContain('data-testid="pay-invoice"');
    expect(before.text).toContain('Waiting for your payment');
    expect(before.text).not.toContain('SECRET-GOODS');

    const paid = await request(h.app).post(pagePath).set('X-Forwarded-For', newClient()).type('form').send({});
    expect(paid.status).toBe(303);
    expect(paid.headers.location).toMatch(/^https:\/\/checkout\.stripe\.test\/c\/pay\/cs_live_/);
    const session = stripe.requests.filter((r) => r.path === '/v1/checkout/sessions').at(-1)!;
    expect(session.body.success_url).toBe(`${invoice.checkout}?checkout=success`);
    expect(session.body.cancel_url).toBe(`${invoice.checkout}?checkout=cancelled`);
    // Once Stripe's page is open, `checkout` is that page (as before); the hosted one links to it.
    expect((await api('get', `/invoices/${invoice.id}`).expect(200)).body.data.checkout).toBe(paid.headers.location);
    const opened = await request(h.app).get(`${pagePath}?checkout=cancelled`).set('X-Forwarded-For', newClient()).expect(200);
    expect(opened.text).not.toContain('data-testid="pay-invoice"');
    expect(opened.text).toContain(`href="${paid.headers.location}"`);
    expect(opened.text).toContain('The payment was not completed.');

    await api('patch', `/invoices/${invoice.id}/mark-completed`).expect(200);
    const delivered = await waitFor(
      () => request(h.app).get(pagePath).set('X-Forwarded-For', newClient()),
      (r) => r.text.includes('data-testid="order-status">COMPLETED'),
      60_000,
    );
    expect(delivered.text).toContain('SECRET-GOODS');
    expect(delivered.text).toContain('data-testid="redirect-link"');
    // Paid already: paying again only shows where it stands.
    const again = await request(h.app).post(pagePath).set('X-Forwarded-For', newClient()).type('form').send({});
    expect([again.status, again.headers.location]).toEqual([303, pagePath]);
  }, 90_000);

  it("the API's checkout sends Stripe's buyer back to the invoice's page too", async () => {
    const invoice = await keyInvoice('api-checkout@e.co');
    await api('post', `/invoices/${invoice.id}/checkout`).expect(200);
    const session = stripe.requests.filter((r) => r.path === '/v1/checkout/sessions').at(-1)!;
    expect(session.body.success_url).toBe(`${invoice.checkout}?checkout=success`);
  });

  it("opens a new Stripe session once the invoice's has expired (a reminder's link comes days later), one per click", async () => {
    const invoice = await keyInvoice('came-back@e.co');
    const pagePath = new URL(invoice.checkout).pathname;
    const pay = () => request(h.app).post(pagePath).set('X-Forwarded-For', newClient()).type('form').send({});
    const sessionsAsked = () =>
      stripe.requests.filter((r) => r.path === '/v1/checkout/sessions' && r.body.client_reference_id === String(invoice.id));
    // The first session is as good as over (Stripe's sessions end; this one within the renewal margin).
    stripe.setSessionLifetime(60);
    const first = (await pay()).headers.location as string;
    stripe.setSessionLifetime(24 * 60 * 60);
    const second = (await pay()).headers.location as string;
    expect(second).toMatch(/^https:\/\/checkout\.stripe\.test\/c\/pay\/cs_live_/);
    expect(second).not.toBe(first);
    // That one is good for a day: more clicks, at once or later, answer it, and Stripe makes no other.
    const clicks = await Promise.all([pay(), pay(), pay()]);
    expect(clicks.map((c) => c.headers.location)).toEqual([second, second, second]);
    expect(new Set(sessionsAsked().map((r) => r.idempotencyKey))).toEqual(
      new Set([`sellflow-checkout-${store.id}-${invoice.id}`, `sellflow-checkout-${store.id}-${invoice.id}-1`]),
    );
    const gateway = (await h.db.selectFrom('invoices').select('gateway').where('id', '=', invoice.id).executeTakeFirstOrThrow())
      .gateway as {
      checkout_sessions: string[];
      session_expires_at: string;
    };
    expect(gateway.checkout_sessions).toHaveLength(2);
    expect(Date.parse(gateway.session_expires_at)).toBeGreaterThan(Date.now() + 23 * 3_600_000);
  });

  it("opens only with its own signature: another signature, another invoice's, another store, or a bare id is a 404", async () => {
    const first = await keyInvoice('sig1@e.co');
    const second = await keyInvoice('sig2@e.co');
    const signature = first.checkout.split('/').at(-1)!;
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`;
    const tries = [
      `/checkout/${store.slug}/invoices/${first.id}/${flipped}`,
      `/checkout/${store.slug}/invoices/${second.id}/${signature}`,
      `/checkout/${other.slug}/invoices/${first.id}/${signature}`,
      `/checkout/${store.slug}/invoices/${first.id}/${signature}x`,
      `/checkout/${store.slug}/invoices/${first.id}`,
      `/checkout/${store.slug}/invoices/${first.id}/${flipped}/live`,
    ];
    for (const path of tries) {
      const res = await request(h.app).get(path).set('X-Forwarded-For', newClient());
      expect([path, res.status]).toEqual([path, 404]);
      expect(res.text).not.toContain('sig1@e.co');
    }
    const forged = await request(h.app)
      .post(`/checkout/${store.slug}/invoices/${second.id}/${signature}`)
      .set('X-Forwarded-For', newClient())
      .type('form')
      .send({});
    expect(forged.status).toBe(404);
    const untouched = await h.db.selectFrom('invoices').select('gateway').where('id', '=', second.id).executeTakeFirstOrThrow();
    expect(untouched.gateway).not.toHaveProperty('data.checkout_url');
  });
});
