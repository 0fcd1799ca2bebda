import request from 'supertest';
import { type StripeBilling, startStripeBilling } from '../fakes/stripe-billing';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/**
 * Issue 24, fast checkout for storefront embeds: no key, CORS for the store's listed sites,
 * limited per client address and by the store's attempt limits, blacklist-screened, priced and
 * created exactly as a key-created invoice, answering in the embed's `{message, errors}` shape,
 * and the post-purchase redirect once the order completes.
 */
const SHOP = 'https://shop.example.com';
let stripe: StripeBilling;
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
let productId: number;
let variantId: number;
let clients = 0;
/** Each test buys from its own address (the API trusts X-Forwarded-For from loopback). */
const newClient = () => `198.51.100.${(clients += 1)}`;

beforeAll(async () => {
  stripe = await startStripeBilling();
  h = await startHarness({
    worker: true,
    database: 'postgres',
    env: { STRIPE_API_BASE: stripe.url, RATE_LIMIT_PUBLIC_PER_MINUTE: '60', RATE_LIMIT_PUBLIC_BURST: '8' },
  });
  store = await h.createStore();
  await api('put', '/settings/payment-methods/STRIPE', { secret_key: 'sk_live_fastcheckout', webhook_secret: 'whsec_fastcheckout' }).expect(
    200,
  );
  await api('patch', '/settings/checkout', { embed_allowed_origins: [SHOP] }).expect(200);
  ({ productId, variantId } = await createVariant(
    h,
    store.live,
    { deliverable: { types: ['MANUAL'], data: { comment: 'SECRET-GOODS' } }, price: 1500, bulk_discount: [] },
    { title: 'Rare skin', additional_information: [{ type: 'text', label: 'Username', key: 'username', required: true }] },
  ));
  await api('patch', `/products/${productId}`, {
    other_settings: {
      redirect_url: 'https://shop.example.com/done?email=[customer_email]&order=[order_id]&q=[quantity]&pm=[payment_method]',
    },
  }).expect(200);
  await api('post', '/coupons', { code: 'LOYAL10', type: 'PERCENTAGE', discount: 10, store_wide: true }).expect(201);
}, 180_000);
afterAll(async () => {
  await h?.close();
  await stripe?.close();
});

function api(method: 'get' | 'post' | 'patch' | 'put', path: string, body?: object) {
  return request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);
}

function embed(method: 'get' | 'post' | 'options', path: string, client: string, origin: string | null = SHOP) {
  const req = request(h.app)[method](`/api/v2/fast-checkout/${store.id}${path}`).set('X-Forwarded-For', client);
  return origin ? req.set('Origin', origin) : req;
}

const order = (extra: object = {}) => ({
  customer_email: 'buyer+1@e.co',
  payment_method: 'STRIPE',
  quantity: 2,
  additional_information: { username: 'JohnDoe123' },
  terms_of_service: true,
  ...extra,
});

describe('CORS', () => {
  it("answers the store's listed sites with their origin, and the preflight", async () => {
    const client = newClient();
    const res = await embed('get', `/${productId}`, client).expect(200);
    expect(res.headers['access-control-allow-origin']).toBe(SHOP);
    expect(res.headers.vary).toMatch(/Origin/);
    const preflight = await embed('options', `/${productId}/${variantId}`, client)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(SHOP);
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    expect(preflight.headers['access-control-allow-headers']).toMatch(/Content-Type/i);
  });

  it('refuses other sites, preflight included, with 403 in the embed shape and creates nothing', async () => {
    const client = newClient();
    const before = await h.db.selectFrom('invoices').select('id').where('store_id', '=', store.id).execute();
    const preflight = await embed('options', `/${productId}/${variantId}`, client, 'https://evil.example').set(
      'Access-Control-Request-Method',
      'POST',
    );
    expect(preflight.status).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const post = await embed('post', `/${productId}/${variantId}`, client, 'https://evil.example').send(order());
    expect(post.status).toBe(403);
    expect(post.body).toMatchObject({ message: 'This site may not sell these products.', errors: {} });
    expect(post.headers['access-control-allow-origin']).toBeUndefined();
    expect(await h.db.selectFrom('invoices').select('id').where('store_id', '=', store.id).execute()).toHaveLength(before.length);
    // Not a browser (no Origin): nothing for CORS to decide.
    expect((await embed('get', `/${productId}`, client, null)).status).toBe(200);
  });
});

describe('the product and the quote', () => {
  it('shows the product, its variants (unless withoutVariants) and the checked pre-fill, never the goods', async () => {
    const client = newClient();
    const query = `?email=fan@e.co&coupon=LOYAL10&quantity=2&variant=${variantId}&payment_method=STRIPE&additional-username=JohnDoe&additional-unknown=x&affiliate=bob`;
    const res = await embed('get', `/${productId}${query}`, client).expect(200);
    expect(res.body.data.product).toMatchObject({ id: productId, title: 'Rare skin' });
    expect(res.body.data.variants).toEqual([
      expect.objectContaining({ id: variantId, price: { price: '1500', currency: 'USD' }, payment_methods: expect.any(Array) }),
    ]);
    expect(res.body.data.prefill).toEqual({
      variant_id: variantId,
      quantity: 2,
      coupon: 'LOYAL10',
      email: 'fan@e.co',
      payment_method: 'STRIPE',
      custom_payment_method_id: null,
      affiliate: 'bob',
      additional_information: { username: 'JohnDoe' },
    });
    expect(JSON.stringify(res.body)).not.toContain('SECRET-GOODS');
    const bare = await embed('get', `/${productId}?withoutVariants=true&variant=999999`, client).expect(200);
    expect(bare.body.data.variants).toBeUndefined();
    expect(bare.body.data.prefill.variant_id).toBeNull();
    expect((await embed('get', '/999999', client)).status).toBe(404);
  });

  it('quotes with the invoice rules: coupon and quantity priced, a bad coupon or quantity a 422 with the field', async () => {
    const client = newClient();
    const quote = await embed('get', `/${productId}/${variantId}?quantity=2&coupon=loyal10`, client).expect(200);
    expect(quote.body.data).toMatchObject({
      quantity: 2,
      currency: 'USD',
      subtotal: '3000',
      coupon: { code: 'LOYAL10', discount: '300' },
      total: '2700',
    });
    const badCoupon = await embed('get', `/${productId}/${variantId}?coupon=NOPE`, client);
    expect(badCoupon.status).toBe(422);
    expect(badCoupon.body.errors).toEqual({ coupon: [expect.stringContaining('NOPE')] });
    const badQuantity = await embed('get', `/${productId}/${variantId}?quantity=0`, client);
    expect(badQuantity.status).toBe(422);
    expect(Object.keys(badQuantity.body.errors)).toEqual(['quantity']);
  });
});

describe('buying', () => {
  it('creates the invoice a key would, answers the payment URL, and the order token leads to the filled-in redirect once completed', async () => {
    const client = newClient();
    const bought = await embed('post', `/${productId}/${variantId}`, client).send(order({ coupon: 'LOYAL10' }));
    expect(bought.status).toBe(201);
    expect(bought.headers['access-control-allow-origin']).toBe(SHOP);
    expect(bought.body.payment_url).toMatch(/^https?:\/\//);
    expect(bought.body.order.token).toMatch(/^fco_/);
    const fast = (await api('get', `/invoices/${bought.body.order.id}`).expect(200)).body.data;

    const keyCreated = await api('post', '/invoices', {
      customer_email: 'buyer+1@e.co',
      customer_ip: client,
      payment_method: 'STRIPE',
      coupon: 'LOYAL10',
      product_variants: { [variantId]: { quantity: 2, additional_information: { username: 'JohnDoe123' } } },
    }).expect(201);
    await api('post', `/invoices/${keyCreated.body.data.id}/checkout`).expect(200);
    const byKey = (await api('get', `/invoices/${keyCreated.body.data.id}`).expect(200)).body.data;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- two invoice views compared field by field
    const same = (view: Record<string, any>) => ({
      payment: {
        ...view.payment,
        expires_at: undefined,
        gateway: { type: view.payment.gateway.type, total: view.payment.gateway.data.total },
      },
      status: view.status.status.status,
      store_id: view.store_id,
      coupon_id: view.coupon_id,
      customer_information: view.customer_information,
      product_variants: view.product_variants,
      livemode: view.livemode,
      affiliate: view.affiliate,
    });
    expect(same(fast)).toEqual(same(byKey));
    const lines = await h.db
      .selectFrom('invoice_lines')
      .select(['invoice_id', 'title', 'quantity', 'unit_price_cents', 'total_cents', 'additional_information'])
      .where('invoice_id', 'in', [fast.id, byKey.id])
      .orderBy('invoice_id')
      .execute();
    expect({ ...lines[0], invoice_id: 0 }).toEqual({ ...lines[1], invoice_id: 0 });

    // Polled from fresh addresses: the per-address limit of this file is tight.
    const status = () => embed('get', `/orders/${bought.body.order.token}`, newClient()).then((r) => r.body.data);
    expect(await status()).toMatchObject({ order_id: fast.id, status: 'PENDING', completed: false, redirect_url: null });
    expect(fast.redirect_url).toBeNull();
    await api('patch', `/invoices/${fast.id}/mark-completed`).expect(200);
    const done = await waitFor(status, (s) => s.completed === true, 60_000);
    const expected = `https://shop.example.com/done?email=buyer%2B1%40e.co&order=${fast.id}&q=2&pm=STRIPE`;
    expect(done.redirect_url).toBe(expected);
    expect((await api('get', `/invoices/${fast.id}`)).body.data.redirect_url).toBe(expected);
    // The token is the only way in: a made-up one finds nothing, a sequential id is not a token.
    expect((await embed('get', `/orders/fco_${'A'.repeat(32)}`, client)).status).toBe(404);
    expect((await embed('get', `/orders/${fast.id}`, client)).status).toBe(422);
  }, 90_000);

  it('takes the pre-fill from the page when the form leaves it out, affiliate included', async () => {
    const client = newClient();
    await api('put', '/settings/affiliates', {
      enabled: true,
      auto_approve: true,
      commission: { type: 'PERCENTAGE', value: 10 },
      payout_methods: ['PAYPAL'],
    }).expect(200);
    const affiliate = await api('post', '/affiliates/apply', {
      email: 'bob@aff.example',
      code: 'bob',
      payout_method: 'PAYPAL',
      payout_details: 'bob@aff.example',
    }).expect(200);
    const query = '?email=pre@e.co&payment_method=STRIPE&quantity=3&coupon=LOYAL10&additional-username=Pre&affiliate=bob';
    const bought = await embed('post', `/${productId}/${variantId}${query}`, client).send({});
    expect(bought.status).toBe(201);
    const invoice = await h.db
      .selectFrom('invoices')
      .select(['customer_email', 'payment_method', 'coupon_code', 'affiliate_id', 'customer_ip'])
      .where('id', '=', bought.body.order.id)
      .executeTakeFirstOrThrow();
    expect(invoice).toEqual({
      customer_email: 'pre@e.co',
      payment_method: 'STRIPE',
      coupon_code: 'LOYAL10',
      affiliate_id: affiliate.body.data.id,
      customer_ip: client,
    });
    const line = await h.db
      .selectFrom('invoice_lines')
      .select(['quantity', 'additional_information'])
      .where('invoice_id', '=', bought.body.order.id)
      .executeTakeFirstOrThrow();
    expect(line).toEqual({ quantity: 3, additional_information: { username: 'Pre' } });
  });

  it('reads an additional-[key] pre-fill the same on the product view and the order: JSON when it is JSON, else text', async () => {
    const viewed = await embed('get', `/${productId}?additional-username=true`, newClient()).expect(200);
    expect(viewed.body.data.prefill.additional_information).toEqual({ username: true });
    const answers: unknown[] = [];
    for (const raw of ['true', '42', '%22quoted%22', 'Plain%20text']) {
      const bought = await embed('post', `/${productId}/${variantId}?additional-username=${raw}`, newClient()).send(
        order({ additional_information: undefined }),
      );
      expect(bought.status).toBe(201);
      const line = await h.db
        .selectFrom('invoice_lines')
        .select('additional_information')
        .where('invoice_id', '=', bought.body.order.id)
        .executeTakeFirstOrThrow();
      answers.push((line.additional_information as Record<string, unknown>).username);
      const shown = await embed('get', `/${productId}?additional-username=${raw}`, newClient()).expect(200);
      expect(shown.body.data.prefill.additional_information.username).toEqual(answers.at(-1));
    }
    expect(answers).toEqual([true, 42, 'quoted', 'Plain text']);
  });

  it('answers errors in the embed shape: 422 per field, 403 for a blacklisted buyer', async () => {
    const client = newClient();
    const missing = await embed('post', `/${productId}/${variantId}`, client).send({ payment_method: 'STRIPE', terms_of_service: false });
    expect(missing.status).toBe(422);
    expect(missing.body.message).toBe('The given data was invalid.');
    expect(Object.keys(missing.body.errors).sort()).toEqual(['customer_email', 'terms_of_service']);
    const unanswered = await embed('post', `/${productId}/${variantId}`, client).send(order({ additional_information: {} }));
    expect(unanswered.status).toBe(422);
    expect(Object.keys(unanswered.body.errors)).toEqual([`product_variants.${variantId}.additional_information.username`]);
    expect((await api('post', '/blacklists', { type: 'EMAIL', data: 'fraud@e.co', description: 'chargebacks' })).status).toBeLessThan(300);
    const blocked = await embed('post', `/${productId}/${variantId}`, client).send(order({ customer_email: 'fraud@e.co' }));
    expect(blocked.status).toBe(403);
    expect(blocked.body).toMatchObject({ message: 'This action is unauthorized.', errors: {} });
    expect(blocked.headers['access-control-allow-origin']).toBe(SHOP);
  });

  it("applies the store's attempt limits (429 with Retry-After) and the per-address rate limit", async () => {
    await api('patch', '/settings/checkout', { checkout_rate_limits: { ip_email_per_hour: 1, window_seconds: 300 } }).expect(200);
    try {
      const client = newClient();
      expect((await embed('post', `/${productId}/${variantId}`, client).send(order({ customer_email: 'twice@e.co' }))).status).toBe(201);
      const again = await embed('post', `/${productId}/${variantId}`, client).send(order({ customer_email: 'twice@e.co' }));
      expect(again.status).toBe(429);
      expect(Number(again.headers['retry-after'])).toBeGreaterThan(290);
      expect(again.body).toMatchObject({ message: 'Too Many Attempts.', errors: {} });
      expect(again.headers['access-control-allow-origin']).toBe(SHOP);
    } finally {
      await api('patch', '/settings/checkout', { checkout_rate_limits: { ip_email_per_hour: null, window_seconds: null } }).expect(200);
    }
    const busy = newClient();
    const statuses: number[] = [];
    for (let i = 0; i < 9; i += 1) statuses.push((await embed('get', `/${productId}`, busy)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 429]);
  });
});

describe('the order fields', () => {
  /** A pay-what-you-want variant at 5.00 of `currency` (500 minor units): its fast-checkout path. */
  const humbleIn = async (currency: string) => {
    const humble = await createVariant(h, store.live, {
      deliverable: { types: ['MANUAL'], data: { comment: 'x' } },
      pricing: { humble: true, price: { price: 500, currency } },
    });
    return `/${humble.productId}/${humble.variantId}`;
  };
  const refusesExtra = async (url: string) => {
    const refused = await embed('get', url, newClient());
    expect(refused.status).toBe(422);
    expect(Object.keys(refused.body.errors)).toEqual(['extra']);
  };
  /** One bought with `extra` on top: what its invoice charges. */
  const boughtWithExtra = async (path: string, extra: string | number) => {
    const bought = await embed('post', path, newClient()).send(order({ quantity: 1, extra, additional_information: {} }));
    expect(bought.status).toBe(201);
    return h.db
      .selectFrom('invoices')
      .select(['extra_cents', 'total_cents'])
      .where('id', '=', bought.body.order.id)
      .executeTakeFirstOrThrow();
  };

  it('takes a pay-what-you-want extra on the quote and the order, in major units, only where the variant is pay-what-you-want', async () => {
    const path = await humbleIn('USD');
    const quote = await embed('get', `${path}?extra=2.50&quantity=2`, newClient()).expect(200);
    expect(quote.body.data).toMatchObject({ subtotal: '1000', extra: '250', total: '1250' });
    await refusesExtra(`${path}?extra=2.555`);
    await refusesExtra(`/${productId}/${variantId}?extra=1`);

    expect(await boughtWithExtra(path, '2.50')).toEqual({ extra_cents: 250, total_cents: 750 });
    expect((await embed('post', `/${productId}/${variantId}`, newClient()).send(order({ extra: 1 }))).status).toBe(422);
  });

  it('reads the extra in the variant currency’s own digits: yen have none, dinars three', async () => {
    const yen = await humbleIn('JPY');
    expect((await embed('get', `${yen}?extra=300`, newClient()).expect(200)).body.data).toMatchObject({ extra: '300', total: '800' });
    await refusesExtra(`${yen}?extra=2.5`);
    const dinars = await humbleIn('KWD');
    expect((await embed('get', `${dinars}?extra=2.555`, newClient()).expect(200)).body.data).toMatchObject({
      extra: '2555',
      total: '3055',
    });
    expect(await boughtWithExtra(yen, 300)).toEqual({ extra_cents: 300, total_cents: 800 });
  });

  it('keeps vat_id and an ISO 3166-1 alpha-2 country (in capitals); any other country is a 422 naming it', async () => {
    const bought = await embed('post', `/${productId}/${variantId}`, newClient()).send(order({ vat_id: 'BE0123456789', country: 'be' }));
    expect(bought.status).toBe(201);
    const invoice = await h.db
      .selectFrom('invoices')
      .select(['vat_id', 'country'])
      .where('id', '=', bought.body.order.id)
      .executeTakeFirstOrThrow();
    expect(invoice).toEqual({ vat_id: 'BE0123456789', country: 'BE' });
    for (const country of ['Belgium', 'XK', 'ZZ', 'B', '']) {
      const refused = await embed('post', `/${productId}/${variantId}`, newClient()).send(order({ country }));
      expect(refused.status).toBe(422);
      expect(Object.keys(refused.body.errors)).toEqual(['country']);
    }
    const tooLong = await embed('post', `/${productId}/${variantId}`, newClient()).send(order({ vat_id: 'X'.repeat(51) }));
    expect(Object.keys(tooLong.body.errors)).toEqual(['vat_id']);
  });

  it('refuses terms_of_service only when declined, and a required terms box of the product only when ticked', async () => {
    for (const terms of [true, 'yes', 1, undefined])
      expect((await embed('post', `/${productId}/${variantId}`, newClient()).send(order({ terms_of_service: terms }))).status).toBe(201);
    const declined = await embed('post', `/${productId}/${variantId}`, newClient()).send(order({ terms_of_service: false }));
    expect(declined.status).toBe(422);
    expect(Object.keys(declined.body.errors)).toEqual(['terms_of_service']);

    // The seed's way for a store's own terms: a required checkbox among the product's checkout questions.
    const withTerms = await createVariant(
      h,
      store.live,
      { deliverable: { types: ['MANUAL'], data: { comment: 'x' } }, price: 500 },
      { additional_information: [{ type: 'checkbox', key: 'agree', label: 'I agree to the Terms of Service', required: true }] },
    );
    const path = `/${withTerms.productId}/${withTerms.variantId}`;
    for (const answer of [false, 'false', undefined]) {
      const refused = await embed('post', path, newClient()).send(order({ additional_information: { agree: answer } }));
      expect(refused.status).toBe(422);
      expect(Object.keys(refused.body.errors)).toEqual([`product_variants.${withTerms.variantId}.additional_information.agree`]);
    }
    expect((await embed('post', path, newClient()).send(order({ additional_information: { agree: true } }))).status).toBe(201);
    // Pre-filled the embed's way: the same answer on the order as on the product view.
    expect(
      (await embed('post', `${path}?additional-agree=true`, newClient()).send(order({ additional_information: undefined }))).status,
    ).toBe(201);
  });
});
