import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import Stripe from 'stripe';
import request from 'supertest';
import { type FakeEsplora, startEsplora } from '../fakes/esplora';
import { type PaypalFake, startPaypalFake } from '../fakes/paypal';
import { type StripeBilling, startStripeBilling } from '../fakes/stripe-billing';
import { createVariant } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/**
 * Issue 24 item 3 in a real browser (Debian's Chromium through playwright-core): a buyer opens
 * the hosted checkout, answers the product's question and pays by card (a page playing Stripe
 * Checkout, which pays the fake Stripe's session and posts its signed event to our webhook,
 * then sends the buyer back) and by BTC (the address and QR code shown, paid on the fake
 * chain), and in both watches the order page move to delivered without a reload, sees the
 * deliverables and the seller's post-purchase link; and a key-created invoice paid from its own
 * `checkout` page. No CSP violation on any page. Screenshots
 * go to test/artifacts/ (git-ignored).
 */
const ARTIFACTS = path.join(__dirname, '..', 'artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ZPUB = 'zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs';
const WEBHOOK_SECRET = 'whsec_hostedbrowser';
const GOODS = 'Your skin code: SKIN-7781';
const signer = new Stripe('sk_test_unused');

let h: Harness;
let server: http.Server;
let base: string;
let browser: Browser;
let stripe: StripeBilling;
let esplora: FakeEsplora;
let paypal: PaypalFake;
let store: Awaited<ReturnType<Harness['createStore']>>;
let productId: number;
const stripePayments: string[] = [];

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  stripe = await startStripeBilling();
  esplora = await startEsplora();
  paypal = await startPaypalFake();
  // The port first: Stripe's return URL is built from PUBLIC_BASE_URL.
  server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  h = await startHarness({
    worker: true,
    env: {
      PUBLIC_BASE_URL: base,
      STRIPE_API_BASE: stripe.url,
      CRYPTO_FIXED_RATES: '{"BTC":{"USD":50000}}',
      CRYPTO_BTC_API_URL: esplora.url,
      CRYPTO_CONFIRMATIONS: '{"BTC":1}',
      CRYPTO_POLL_SECONDS: '0.3',
      CRYPTO_PAYMENT_WINDOW_SECONDS: '600',
      PAYPAL_API_URL: paypal.url,
    },
  });
  server.on('request', h.app);
  store = await h.createStore();
  await api('put', '/settings/payment-methods/STRIPE', { secret_key: 'sk_live_hostedbrowser', webhook_secret: WEBHOOK_SECRET }).expect(200);
  await api('put', '/settings/payment-methods/BTC', { xpub: ZPUB }).expect(200);
  ({ productId } = await createVariant(
    h,
    store.live,
    { deliverable: { types: ['MANUAL'], data: { comment: GOODS } }, price: 1500, payment_methods: ['STRIPE', 'BTC'] },
    { title: 'Rare skin', additional_information: [{ type: 'text', label: 'In-game name', key: 'ign', required: true }] },
  ));
  await api('patch', `/products/${productId}`, {
    other_settings: { redirect_url: 'https://shop.example.com/thanks?order=[order_id]&pm=[payment_method]' },
  }).expect(200);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await h?.close();
  await stripe?.close();
  await esplora?.close();
  await paypal?.close();
});

const api = (method: 'get' | 'post' | 'patch' | 'put', route: string, body?: object) =>
  request(h.app)[method](`/api/v2${route}`).set('Authorization', `Bearer ${store.live}`).send(body);

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

/**
 * Plays Stripe Checkout for this context: its page has a Pay button; paying completes the fake
 * Stripe's session, posts the signed checkout.session.completed to our webhook (as Stripe would),
 * and sends the buyer to the session's success_url.
 */
async function playStripeCheckout(context: BrowserContext): Promise<void> {
  await context.route('https://checkout.stripe.test/**', async (route) => {
    const sessionId = new URL(route.request().url()).pathname.split('/').at(-1)!;
    const session = stripe.checkoutSession(sessionId);
    if (!session) return route.fulfill({ status: 404, body: 'No such session' });
    if (route.request().method() === 'GET')
      return route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><title>Stripe Checkout</title><h1>Pay ${session.amount_total} ${session.currency}</h1>
          <form method="post"><label>Card number <input name="card" value="4242 4242 4242 4242"></label><button>Pay</button></form>`,
      });
    const { event } = stripe.payCheckout(sessionId);
    const payload = JSON.stringify(event);
    const delivered = await fetch(`${base}/webhooks/stripe/${store.slug}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Stripe-Signature': signer.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET }),
      },
      body: payload,
    });
    stripePayments.push(`${sessionId}:${delivered.status}`);
    return route.fulfill({ status: 303, headers: { Location: String(session.success_url) } });
  });
}

/** Opens the product page and fills the form as a buyer would; answers the page and the CSP violations it reports. */
async function openCheckout(context: BrowserContext, email: string, method: string) {
  const page = await context.newPage();
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.goto(`${base}/checkout/${store.slug}/${productId}`);
  await expect(page.getByTestId('product-title').textContent()).resolves.toBe('Rare skin');
  await page.getByLabel('In-game name').fill('Jo');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Payment method').selectOption(method);
  return { page, violations };
}

/** The order page stays the same document while it updates: a marker set now survives until the end. */
const markDocument = (page: Page) => page.evaluate('window.__sameDocument = true');
const sameDocument = (page: Page) => page.evaluate<boolean>('window.__sameDocument === true');

it('buys by card: Stripe returns the buyer to the order page, which shows the goods and the redirect once delivered', async () => {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  await playStripeCheckout(context);
  const { page, violations } = await openCheckout(context, 'card@e.co', 'STRIPE');
  await shot(page, 'hosted-checkout-product');
  await page.getByRole('button', { name: 'Continue to payment' }).click();
  await page.waitForURL(/checkout\.stripe\.test/);
  await page.getByRole('button', { name: 'Pay' }).click();
  await page.waitForURL(new RegExp(`^${base}/checkout/${store.slug}/orders/fco_[\\w-]{32}\\?checkout=success$`));
  expect(stripePayments.at(-1)).toMatch(/:200$/);
  await markDocument(page);
  await page.getByTestId('order-status').filter({ hasText: 'COMPLETED' }).waitFor({ timeout: 30_000 });
  await expect(page.getByTestId('deliverables').textContent()).resolves.toContain(GOODS);
  const orderId = Number(/Order #(\d+)/.exec((await page.locator('h1').textContent()) ?? '')![1]);
  await expect(page.getByTestId('redirect-link').getAttribute('href')).resolves.toBe(
    `https://shop.example.com/thanks?order=${orderId}&pm=STRIPE`,
  );
  expect(await sameDocument(page)).toBe(true);
  await shot(page, 'hosted-checkout-card-delivered');
  const invoice = await h.db
    .selectFrom('invoices')
    .select(['customer_email', 'status'])
    .where('id', '=', orderId)
    .executeTakeFirstOrThrow();
  expect(invoice).toEqual({ customer_email: 'card@e.co', status: 'COMPLETED' });
  const line = await h.db
    .selectFrom('invoice_lines')
    .select('additional_information')
    .where('invoice_id', '=', orderId)
    .executeTakeFirstOrThrow();
  expect(line.additional_information).toEqual({ ign: 'Jo' });
  expect(violations).toEqual([]);
  await context.close();
}, 120_000);

it('buys with BTC: the address and QR code, the payment seen arriving and confirming live, then the goods', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const { page, violations } = await openCheckout(context, 'btc@e.co', 'BTC');
  await page.getByRole('button', { name: 'Continue to payment' }).click();
  await page.waitForURL(new RegExp(`^${base}/checkout/${store.slug}/orders/fco_[\\w-]{32}$`));
  await markDocument(page);
  await expect(page.getByTestId('order-status').textContent()).resolves.toBe('PENDING');
  // 15.00 USD at 50,000 USD a bitcoin.
  await expect(page.getByTestId('crypto-amount').textContent()).resolves.toBe('0.00030000 BTC');
  const address = (await page.getByTestId('crypto-address').textContent())!;
  expect(address).toMatch(/^bc1q/);
  await expect(page.locator('[data-testid="crypto-qr"] svg path').count()).resolves.toBeGreaterThan(0);
  await shot(page, 'hosted-checkout-btc-address');

  esplora.pay(address, 30_000);
  await page.getByTestId('crypto-received').filter({ hasText: '0.00030000' }).waitFor({ timeout: 30_000 });
  await expect(page.getByTestId('order-status').textContent()).resolves.toBe('PENDING');
  await shot(page, 'hosted-checkout-btc-seen');
  esplora.mine(1);
  await page.getByTestId('order-status').filter({ hasText: 'COMPLETED' }).waitFor({ timeout: 30_000 });
  await expect(page.getByTestId('deliverables').textContent()).resolves.toContain(GOODS);
  await expect(page.getByTestId('crypto-payment').count()).resolves.toBe(0);
  await expect(page.getByTestId('redirect-link').getAttribute('href')).resolves.toMatch(
    /^https:\/\/shop\.example\.com\/thanks\?order=\d+&pm=BTC$/,
  );
  expect(await sameDocument(page)).toBe(true);
  const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
  expect(overflow).toBeLessThanOrEqual(0);
  await shot(page, 'hosted-checkout-btc-delivered');
  expect(violations).toEqual([]);
  await context.close();
}, 120_000);

it('pays a key-created invoice from its own `checkout` page: Pay, then the BTC address, then the goods', async () => {
  const { variantId } = await createVariant(
    h,
    store.live,
    { deliverable: { types: ['MANUAL'], data: { comment: GOODS } }, price: 1000, payment_methods: ['BTC'] },
    { title: 'Invoiced skin' },
  );
  const invoice = (
    await api('post', '/invoices', {
      customer_email: 'keyed@e.co',
      payment_method: 'BTC',
      product_variants: { [variantId]: { quantity: 1 } },
    }).expect(201)
  ).body.data as { id: number; checkout: string };
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const page = await context.newPage();
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.goto(invoice.checkout);
  await page.getByTestId('pay-invoice').click();
  await page.waitForURL(invoice.checkout);
  await markDocument(page);
  await expect(page.getByTestId('crypto-amount').textContent()).resolves.toBe('0.00020000 BTC');
  const address = (await page.getByTestId('crypto-address').textContent())!;
  esplora.pay(address, 20_000, { confirmed: true });
  await page.getByTestId('order-status').filter({ hasText: 'COMPLETED' }).waitFor({ timeout: 30_000 });
  await expect(page.getByTestId('deliverables').textContent()).resolves.toContain(GOODS);
  expect(await sameDocument(page)).toBe(true);
  await shot(page, 'hosted-checkout-invoice-delivered');
  expect(violations).toEqual([]);
  await context.close();
}, 120_000);

describe('a custom payment method (issue 23 items 3 and 5)', () => {
  const BANK_GOODS = 'Your bank-paid code: BANK-5521';
  let bankProductId: number;
  beforeAll(async () => {
    const method = await api('post', '/payment-methods/custom', {
      type: 'instructions',
      name: 'Bank transfer',
      // Seller text: Markdown is shown, HTML and script are not.
      instructions: '**IBAN DE00 1234** <img src=x data-testid="seller-img"> <script>window.__sellerRan = true</script>',
      steps: ['Transfer the total', 'Use the order number as reference'],
      require_proof_of_payment: true,
    }).expect(201);
    ({ productId: bankProductId } = await createVariant(
      h,
      store.live,
      { deliverable: { types: ['MANUAL'], data: { comment: BANK_GOODS } }, price: 2500, custom_payment_method_ids: [method.body.data.id] },
      { title: 'Bank-paid skin' },
    ));
  });

  /** Buys the product with the bank transfer; answers the order page (its id in the heading) and the CSP violations seen. */
  async function buyByBank(context: BrowserContext, email: string) {
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(`${base}/checkout/${store.slug}/${bankProductId}`);
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Payment method').selectOption({ label: 'Bank transfer' });
    await page.getByRole('button', { name: 'Continue to payment' }).click();
    await page.waitForURL(new RegExp(`^${base}/checkout/${store.slug}/orders/fco_[\\w-]{32}$`));
    await expect(page.getByTestId('order-status').textContent()).resolves.toBe('PENDING');
    await expect(page.getByTestId('custom-instructions').innerHTML()).resolves.toContain('<strong>IBAN DE00 1234</strong>');
    await expect(page.getByTestId('custom-instructions').locator('img, script').count()).resolves.toBe(0);
    expect(await page.evaluate('window.__sellerRan === true')).toBe(false);
    await expect(page.getByTestId('custom-steps').locator('li').allTextContents()).resolves.toEqual([
      'Transfer the total',
      'Use the order number as reference',
    ]);
    const orderId = Number(/Order #(\d+)/.exec((await page.locator('h1').textContent()) ?? '')![1]);
    return { page, violations, orderId };
  }

  it('shows the instructions, takes a text proof, shows "in review" live, then the goods once the seller completes it', async () => {
    const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    const { page, violations, orderId } = await buyByBank(context, 'bank@e.co');
    await shot(page, 'hosted-checkout-custom-instructions');
    await page.getByLabel('What you paid').fill('Sent from DE99, reference 42');
    await page.getByTestId('send-proof').click();
    await page.getByTestId('custom-review').waitFor();
    await expect(page.getByTestId('order-status').textContent()).resolves.toBe('REVIEW');
    await expect(page.getByTestId('proof-form').count()).resolves.toBe(0);
    await markDocument(page);
    await shot(page, 'hosted-checkout-custom-review');
    const proof = await h.db
      .selectFrom('invoice_payment_proofs')
      .select(['text', 'image_key'])
      .where('invoice_id', '=', orderId)
      .executeTakeFirst();
    expect(proof).toEqual({ text: 'Sent from DE99, reference 42', image_key: null });

    // The seller confirms the payment through the API; the open page follows without a reload.
    await api('patch', `/invoices/${orderId}/mark-completed`).expect(200);
    await page.getByTestId('order-status').filter({ hasText: 'COMPLETED' }).waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('deliverables').textContent()).resolves.toContain(BANK_GOODS);
    await expect(page.getByTestId('custom-payment').count()).resolves.toBe(0);
    expect(await sameDocument(page)).toBe(true);
    await shot(page, 'hosted-checkout-custom-delivered');
    expect(violations).toEqual([]);
    await context.close();
  }, 120_000);

  it('uploads a screenshot as the proof; the seller voids the order and the page says so, with no goods', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const { page, violations, orderId } = await buyByBank(context, 'void@e.co');
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    await page.locator('input[data-proof-image]').setInputFiles({ name: 'receipt.png', mimeType: 'image/png', buffer: png });
    await page.getByTestId('send-proof').click();
    await page.getByTestId('custom-review').waitFor();
    await markDocument(page);
    const proof = await h.db
      .selectFrom('invoice_payment_proofs')
      .select(['text', 'image_key'])
      .where('invoice_id', '=', orderId)
      .executeTakeFirstOrThrow();
    expect(proof.text).toBeNull();
    expect(proof.image_key).toMatch(new RegExp(`proofs/${orderId}/`));
    const seen = await api('get', `/invoices/${orderId}/payment-proof`).expect(200);
    const image = await request(h.app).get(new URL(seen.body.data.image_url).pathname + new URL(seen.body.data.image_url).search);
    expect(Buffer.from(image.body as Buffer).equals(png)).toBe(true);

    await api('patch', `/invoices/${orderId}/mark-voided`).expect(200);
    await page.getByTestId('order-status').filter({ hasText: 'VOIDED' }).waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('order-headline').textContent()).resolves.toBe('Cancelled');
    await expect(page.getByTestId('deliverables').count()).resolves.toBe(0);
    await expect(page.getByTestId('custom-payment').count()).resolves.toBe(0);
    expect(await sameDocument(page)).toBe(true);
    expect(violations).toEqual([]);
    await context.close();
  }, 120_000);
});

describe('PayPal (issue 24 item 3 with issue 23 item 1)', () => {
  const PAYPAL_APP = { clientId: 'AZhostedBrowser01', clientSecret: 'ELhostedBrowser01', mode: 'live' as const };
  const PAYPAL_GOODS = 'Your PayPal-paid code: PP-3390';
  let paypalProductId: number;
  const approvals: string[] = [];
  beforeAll(async () => {
    paypal.addApp(PAYPAL_APP, 'WHHOSTEDBROWSER1');
    await api('put', '/settings/payment-methods/PAYPAL', {
      client_id: PAYPAL_APP.clientId,
      client_secret: PAYPAL_APP.clientSecret,
      webhook_id: 'WHHOSTEDBROWSER1',
    }).expect(200);
    ({ productId: paypalProductId } = await createVariant(
      h,
      store.live,
      { deliverable: { types: ['MANUAL'], data: { comment: PAYPAL_GOODS } }, price: 1250, payment_methods: ['PAYPAL'] },
      { title: 'PayPal skin' },
    ));
  });

  /**
   * Plays PayPal's approval page for this context: approving marks the fake's order APPROVED and
   * sends the buyer to the order's return_url with PayPal's token and PayerID, as PayPal does. No
   * webhook is delivered: the buyer's return alone must get the order captured.
   */
  async function playPaypalApproval(context: BrowserContext): Promise<void> {
    await context.route('https://www.paypal.com/**', async (route) => {
      const token = new URL(route.request().url()).searchParams.get('token') ?? '';
      const order = paypal.state.orders.get(token);
      if (!order) return route.fulfill({ status: 404, body: 'No such order' });
      if (route.request().method() === 'GET')
        return route.fulfill({
          contentType: 'text/html',
          body: `<!doctype html><title>PayPal</title><h1>Pay ${order.purchaseUnits[0].amount.value} ${order.purchaseUnits[0].amount.currency_code}</h1>
            <form method="post" action="?token=${token}"><button>Approve</button></form>`,
        });
      paypal.approve(token);
      approvals.push(token);
      const back = new URL(String(order.experience.return_url));
      back.searchParams.set('token', token);
      back.searchParams.set('PayerID', 'BROWSERPAYER01');
      return route.fulfill({ status: 303, headers: { Location: back.toString() } });
    });
  }

  it('buys with PayPal: approval on PayPal, back to the order page, captured once, then the goods', async () => {
    const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    await playPaypalApproval(context);
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(`${base}/checkout/${store.slug}/${paypalProductId}`);
    await page.getByLabel('E-mail').fill('paypal@e.co');
    await page.getByLabel('Payment method').selectOption('PAYPAL');
    await page.getByRole('button', { name: 'Continue to payment' }).click();
    await page.waitForURL(/^https:\/\/www\.paypal\.com\/checkoutnow\?token=/);
    await shot(page, 'hosted-checkout-paypal-approval');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(new RegExp(`^${base}/checkout/${store.slug}/orders/fco_[\\w-]{32}`));
    await markDocument(page);
    await page.getByTestId('order-status').filter({ hasText: 'COMPLETED' }).waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('deliverables').textContent()).resolves.toContain(PAYPAL_GOODS);
    const orderId = Number(/Order #(\d+)/.exec((await page.locator('h1').textContent()) ?? '')![1]);
    await expect(page.getByTestId('redirect-link').count()).resolves.toBe(0);
    expect(await sameDocument(page)).toBe(true);
    await shot(page, 'hosted-checkout-paypal-delivered');

    // One approval, one capture of that order in PayPal, for the invoice's amount.
    expect(approvals).toHaveLength(1);
    const captures = [...paypal.state.captures.values()].filter((c) => c.orderId === approvals[0]);
    expect(captures.map((c) => [c.status, c.amount.value, c.amount.currency_code])).toEqual([['COMPLETED', '12.50', 'USD']]);
    const invoice = await h.db
      .selectFrom('invoices')
      .select(['customer_email', 'status', 'payment_method'])
      .where('id', '=', orderId)
      .executeTakeFirstOrThrow();
    expect(invoice).toEqual({ customer_email: 'paypal@e.co', status: 'COMPLETED', payment_method: 'PAYPAL' });
    expect(violations).toEqual([]);
    await context.close();
  }, 120_000);
});
