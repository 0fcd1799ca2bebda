import request from 'supertest';
import { createVariant } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/**
 * Issue 23 item 3 on the hosted checkout: the seller's own payment methods are offered on the
 * product page; an instruction method shows its (sanitized) instructions, its steps and a proof
 * form on the order or invoice page, and the proof moves the order to review; a redirect method
 * sends the buyer to the filled URL, straight or through the order page. The browser test
 * (test/e2e/hosted-checkout-browser.test.ts) follows a proof to the goods and to a void.
 */
const XSS = '<script>alert("x")</script>';
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
let productId: number;
let variantId: number;
let bank: string;
let ownPage: string;
let straight: string;
let disabled: string;
let unoffered: string;
let clients = 0;
const newClient = () => `198.51.100.${(clients += 1)}`;

const api = (method: 'get' | 'post' | 'patch', path: string, body?: object) =>
  request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);
const page = (path: string) => request(h.app).get(path).set('X-Forwarded-For', newClient());
const post = (path: string, form: Record<string, string>) =>
  request(h.app).post(path).set('X-Forwarded-For', newClient()).type('form').send(form);
const buy = (choice: string) =>
  post(`/checkout/${store.slug}/${productId}`, {
    variant: String(variantId),
    quantity: '1',
    customer_email: 'buyer+1@e.co',
    payment_method: choice,
  });
const statusOf = async (id: number) =>
  (await h.db.selectFrom('invoices').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
const latestInvoice = async () =>
  (await h.db.selectFrom('invoices').select('id').where('store_id', '=', store.id).orderBy('id', 'desc').executeTakeFirstOrThrow()).id;

async function customMethod(body: object): Promise<string> {
  const res = await api('post', '/payment-methods/custom', body);
  if (res.status !== 201) throw new Error(JSON.stringify(res.body));
  return res.body.data.id;
}

beforeAll(async () => {
  h = await startHarness({ worker: true });
  store = await h.createStore();
  bank = await customMethod({
    type: 'instructions',
    name: `Bank ${XSS}`,
    description: 'Pay within a day',
    instructions: `**IBAN DE00 1234** ${XSS} <img src=x onerror="alert(1)"> [pay](javascript:alert(1)) [bank](https://bank.example/pay)`,
    steps: [`Transfer ${XSS}`, 'Send the proof'],
    require_proof_of_payment: true,
  });
  const url = 'https://pay.example.com/c?order={invoice_id}&email={customer_email}&amount={price}';
  ownPage = await customMethod({ type: 'redirect', name: 'Own page', redirect_url: url });
  straight = await customMethod({ type: 'redirect', name: 'Straight', redirect_url: url, skip_interstitial_page: true });
  disabled = await customMethod({ type: 'instructions', name: 'Disabled one', instructions: 'x', enabled: false });
  // The store's, enabled, but not offered by the variant.
  unoffered = await customMethod({ type: 'instructions', name: 'Elsewhere', instructions: 'x' });
  ({ productId, variantId } = await createVariant(h, store.live, {
    deliverable: { types: ['MANUAL'], data: { comment: 'GOODS' } },
    price: 1500,
    payment_methods: ['STRIPE'],
    custom_payment_method_ids: [bank, ownPage, straight, disabled],
  }));
}, 120_000);
afterAll(async () => {
  await h?.close();
});

describe('the hosted checkout with custom payment methods', () => {
  it('offers the variant’s enabled custom methods beside the built-in ones, names escaped, under a strict CSP', async () => {
    const res = await page(`/checkout/${store.slug}/${productId}`).expect(200);
    expect(res.text).toContain(`<option value="custom:${bank}" >Bank &lt;script&gt;`);
    expect(res.text).toContain(`value="custom:${ownPage}"`);
    expect(res.text).toContain('value="STRIPE"');
    expect(res.text).not.toContain('Disabled one');
    expect(res.text).not.toContain(XSS);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain(`connect-src 'self' ${new URL(h.config.api.publicBaseUrl).origin};`);
    expect(csp).not.toContain('unsafe-inline');
  });

  it('takes a custom method pre-filled by its id (the seed: "the full custom method value") when the variant offers it', async () => {
    const prefilled = async (method: string) =>
      (await page(`/api/v2/fast-checkout/${store.id}/${productId}?variant=${variantId}&payment_method=${method}`).expect(200)).body.data
        .prefill;
    expect(await prefilled(bank)).toMatchObject({ payment_method: 'CUSTOM_PAYMENT_METHOD', custom_payment_method_id: bank });
    expect(await prefilled('STRIPE')).toMatchObject({ payment_method: 'STRIPE', custom_payment_method_id: null });
    // Not offered by the variant (a built-in one, a disabled or unlisted custom one, no method at all): left out.
    for (const method of ['PAYPAL', disabled, unoffered, 'a'.repeat(26), 'CUSTOM_PAYMENT_METHOD'])
      expect(await prefilled(method)).toMatchObject({ payment_method: null, custom_payment_method_id: null });

    // The order the pre-fill leads to, when the buyer's form names no method.
    const bought = await request(h.app)
      .post(`/api/v2/fast-checkout/${store.id}/${productId}/${variantId}?payment_method=${bank}`)
      .set('X-Forwarded-For', newClient())
      .send({ customer_email: 'prefilled@e.co' });
    expect(bought.status).toBe(201);
    const invoice = await h.db
      .selectFrom('invoices')
      .select(['payment_method', 'custom_payment_method_id'])
      .where('id', '=', bought.body.order.id)
      .executeTakeFirstOrThrow();
    expect(invoice).toEqual({ payment_method: 'CUSTOM_PAYMENT_METHOD', custom_payment_method_id: bank });
    // The buyer's own choice wins over the pre-fill.
    const chosen = await request(h.app)
      .post(`/api/v2/fast-checkout/${store.id}/${productId}/${variantId}?payment_method=${bank}`)
      .set('X-Forwarded-For', newClient())
      .send({ customer_email: 'chooser@e.co', payment_method: 'CUSTOM_PAYMENT_METHOD', custom_payment_method_id: ownPage });
    expect(chosen.status).toBe(201);
    expect(
      (
        await h.db
          .selectFrom('invoices')
          .select('custom_payment_method_id')
          .where('id', '=', chosen.body.order.id)
          .executeTakeFirstOrThrow()
      ).custom_payment_method_id,
    ).toBe(ownPage);

    // The hosted page opens with it chosen.
    const shown = await page(`/checkout/${store.slug}/${productId}?payment_method=${bank}`).expect(200);
    expect(shown.text).toMatch(new RegExp(`<option value="custom:${bank}" selected>`));
  });

  it('shows the instructions sanitized, the steps escaped and the proof form; a proof moves the order to review', async () => {
    const bought = await buy(`custom:${bank}`);
    expect(bought.status).toBe(303);
    const orderPage = String(bought.headers.location);
    expect(orderPage).toMatch(new RegExp(`^/checkout/${store.slug}/orders/fco_[\\w-]{32}$`));
    const shown = await page(orderPage).expect(200);
    expect(shown.text).toContain('<strong>IBAN DE00 1234</strong>');
    expect(shown.text).toContain('<a href="https://bank.example/pay" rel="noopener noreferrer nofollow ugc">bank</a>');
    expect(shown.text).not.toContain(XSS);
    // Escaped as text, never markup: no element, no handler, no script link.
    expect(shown.text).not.toMatch(/<img|<script>alert|href="javascript:/i);
    expect(shown.text).toContain('&lt;img src=x');
    expect(shown.text).toContain('Transfer &lt;script&gt;');
    expect(shown.text).toContain('data-testid="proof-form"');
    expect(shown.text).toContain('src="/checkout/assets/proof.js"');
    expect((await page('/checkout/assets/proof.js').expect(200)).headers['content-type']).toMatch(/javascript/);
    const id = await latestInvoice();
    expect(await statusOf(id)).toBe('PENDING');

    // A proof with nothing in it is refused beside the form; the order waits on.
    const empty = await post(`${orderPage}/proof`, { text: ' ', image_key: '' });
    expect(empty.status).toBe(422);
    expect(empty.text).toContain('data-testid="proof-error"');
    expect(empty.text).toContain('needs a text or an image');
    // The script's upload request: the proof limits apply, answered in JSON.
    const pdf = await request(h.app)
      .post(`${orderPage}/proof/uploads`)
      .set('X-Forwarded-For', newClient())
      .send({ file_name: 'a.pdf', content_type: 'application/pdf', content_length: 10 });
    expect(pdf.status).toBe(422);
    expect(pdf.body.message).toContain('image/png');
    const upload = await request(h.app)
      .post(`${orderPage}/proof/uploads`)
      .set('X-Forwarded-For', newClient())
      .send({ file_name: 'a.png', content_type: 'image/png', content_length: 10 });
    expect(upload.status).toBe(201);
    expect(upload.body.key).toContain(`proofs/${id}/`);

    const sent = await post(`${orderPage}/proof`, { text: 'Paid, ref 42', image_key: '' });
    expect(sent.status).toBe(303);
    expect(sent.headers.location).toBe(orderPage);
    expect(await statusOf(id)).toBe('REVIEW');
    const review = await page(orderPage).expect(200);
    expect(review.text).toContain('data-testid="custom-review"');
    expect(review.text).not.toContain('data-testid="proof-form"');
    // The live part empties the proof form of a page opened before.
    const live = await page(`${orderPage}/live`).expect(200);
    expect(live.text).toContain('<div id="custom-proof" hx-swap-oob="true"></div>');
  });

  it('a redirect method: straight to the filled URL when the seller skips the interstitial page, else through the order page', async () => {
    const direct = await buy(`custom:${straight}`);
    expect(direct.status).toBe(303);
    const id = await latestInvoice();
    expect(direct.headers.location).toBe(`https://pay.example.com/c?order=${id}&email=buyer%2B1%40e.co&amount=15.00`);
    expect(await statusOf(id)).toBe('REVIEW');

    const interstitial = await buy(`custom:${ownPage}`);
    expect(interstitial.status).toBe(303);
    const second = await latestInvoice();
    const shown = await page(String(interstitial.headers.location)).expect(200);
    expect(shown.text).toContain(`href="https://pay.example.com/c?order=${second}&amp;email=buyer%2B1%40e.co&amp;amount=15.00"`);
    expect(shown.text).toContain('data-testid="custom-review"');
  });

  it('a key-created invoice’s own page: Pay shows the instructions there, and its proof goes by the page’s signature', async () => {
    const invoice = (
      await api('post', '/invoices', {
        customer_email: 'keyed@e.co',
        payment_method: 'CUSTOM_PAYMENT_METHOD',
        custom_payment_method_id: bank,
        product_variants: { [variantId]: { quantity: 1 } },
      }).expect(201)
    ).body.data as { id: number; checkout: string };
    const pagePath = new URL(invoice.checkout).pathname;
    const before = await page(pagePath).expect(200);
    expect(before.text).toContain('data-testid="pay-invoice"');
    expect(before.text).not.toContain('data-testid="proof-form"');
    const paid = await post(pagePath, {});
    expect(paid.status).toBe(303);
    expect(paid.headers.location).toBe(pagePath);
    const shown = await page(pagePath).expect(200);
    expect(shown.text).toContain('<strong>IBAN DE00 1234</strong>');
    expect(shown.text).not.toContain('data-testid="pay-invoice"');
    expect(shown.text).toContain(`action="${pagePath}/proof"`);
    expect((await post(`${pagePath}/proof`, { text: 'Paid by the invoice page' })).status).toBe(303);
    expect(await statusOf(invoice.id)).toBe('REVIEW');
    // Another signature is no page, and takes no proof.
    expect((await post(`${pagePath.replace(/\/[^/]+$/, '/AAAA')}/proof`, { text: 'x' })).status).toBe(404);
  });
});
