import request from 'supertest';
import { startSlack, type FakeSlack } from '../fakes/slack';
import { type StripeBilling, startStripeBilling } from '../fakes/stripe-billing';
import { createVariant, uploadFile, waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';
import { stripeWebhook, subscribe } from '../helpers/subscription-fixtures';

/**
 * A customer's entitlements (issue 20.5) follow what the workflows did, on the real worker: a
 * community grant, a subscription bought through Stripe Checkout and a delivered download show
 * in the seller's view and the customer portal's, and a refund through POST …/refunds and its
 * refund workflow takes each away from both.
 */
const WEBHOOK_SECRET = 'whsec_entitlements';
const SLACK_CHANNEL = 'C0ENTITLE01';
let h: Harness;
let slack: FakeSlack;
let stripe: StripeBilling;
let store: Awaited<ReturnType<Harness['createStore']>>;
let spaceId: number;

type Method = 'get' | 'post' | 'put' | 'patch';
const call = (method: Method, path: string, token: string, body?: object) => {
  const req = request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${token}`);
  return body === undefined ? req : req.send(body);
};
const api = (method: Method, path: string, body?: object) => call(method, path, store.live, body);

beforeAll(async () => {
  slack = await startSlack();
  stripe = await startStripeBilling();
  h = await startHarness({
    worker: true,
    env: { STRIPE_API_BASE: stripe.url, SLACK_API_URL: slack.url, COMMUNITY_CHECK_SECONDS: '0.3', COMMUNITY_CHECK_MAX_SECONDS: '1' },
  });
  store = await h.createStore();
  await api('put', '/settings/payment-methods/STRIPE', { secret_key: 'sk_live_entitlements', webhook_secret: WEBHOOK_SECRET }).expect(200);
  slack.addChannel({ id: SLACK_CHANNEL, name: 'members', isPrivate: true, appIsMember: true });
  await api('put', '/community/connections/slack', {
    token: slack.token,
    invite_url: 'https://join.slack.com/t/shop/shared_invite/zt-e',
  }).expect(200);
  spaceId = (await api('post', '/community/spaces', { platform: 'slack', external_id: SLACK_CHANNEL }).expect(201)).body.data.id;
}, 300_000);
afterAll(async () => {
  await h?.close();
  await Promise.all([slack?.close(), stripe?.close()]);
});

interface Held {
  kind: string;
  state: string;
  subject: { type: string; id: number | string };
}

/** Both views of one customer's entitlements: the seller's and the customer's own portal. */
async function viewsOf(email: string) {
  const customer = (await api('post', '/customers/search', { filters: [{ field: 'email', value: email }] }).expect(200)).body.data[0];
  const session = (await api('post', '/customer-sessions', { customer_id: customer.id }).expect(201)).body.data;
  const seller = async () => (await api('get', `/customers/${customer.id}/entitlements`).expect(200)).body.data as Held[];
  const portal = async () => (await call('get', '/customer-portal/entitlements', session.token).expect(200)).body.data as Held[];
  /** Both views, once they agree and satisfy `done`. */
  const until = (done: (held: Held[]) => boolean) =>
    waitFor(
      async () => {
        const [s, p] = await Promise.all([seller(), portal()]);
        return JSON.stringify(s) === JSON.stringify(p) ? s : null;
      },
      (held) => held !== null && done(held),
      30_000,
    ).then((held) => held!);
  /** Both views right now, without waiting: what the refund's own transaction left. */
  const now = async () => {
    const [s, p] = await Promise.all([seller(), portal()]);
    return { seller: s, portal: p };
  };
  return { customerId: customer.id as number, until, now };
}
const kinds = (held: Held[]) => held.map((e) => e.kind).sort();
/** kind → state, for one order's entitlements. */
const states = (held: Held[]) => Object.fromEntries(held.map((e) => [e.kind, e.state]));

/** A PAYPAL order the seller marks completed, delivered by the order workflow. */
async function completedOrder(email: string, variantIds: number[]): Promise<number> {
  const product_variants = Object.fromEntries(variantIds.map((v) => [v, { quantity: 1 }]));
  const made = await api('post', '/invoices', { customer_email: email, payment_method: 'PAYPAL', product_variants }).expect(201);
  const id = made.body.data.id as number;
  await api('patch', `/invoices/${id}/mark-completed`).expect(200);
  await waitFor(
    () => api('get', `/invoices/${id}`).then((r) => r.body.data.status.status.status as string),
    (s) => s === 'COMPLETED',
    60_000,
  );
  return id;
}

/** A refund through the route, once its workflow ran the consequences (a hand-paid order's refund is the seller's to pay). */
async function refund(invoiceId: number, body: object = {}) {
  const refunded = await api('post', `/orders/${invoiceId}/refunds`, body).expect(200);
  const id = refunded.body.data.refund.id as number;
  return waitFor(
    () => h.db.selectFrom('refunds').select(['status', 'consequences_at']).where('id', '=', id).executeTakeFirstOrThrow(),
    (r) => r.consequences_at !== null || r.status === 'failed',
    60_000,
  );
}

it('a community grant is held once the grant workflow granted it, and a refund takes it away', async () => {
  const email = 'grant@shop.example';
  slack.joinWorkspace({ email, name: 'Grant' });
  const { productId, variantId } = await createVariant(h, store.live, {
    deliverable: { types: ['MANUAL'], data: { comment: 'welcome' } },
    payment_methods: ['PAYPAL'],
  });
  await api('put', `/products/${productId}/variants/${variantId}/community`, { access: [{ space_id: spaceId }] }).expect(200);
  const invoiceId = await completedOrder(email, [variantId]);
  const views = await viewsOf(email);

  const held = await views.until((e) => e.some((x) => x.kind === 'community_grant'));
  expect(held).toEqual([expect.objectContaining({ kind: 'community_grant', subject: expect.objectContaining({ id: spaceId }) })]);

  expect(await refund(invoiceId)).toMatchObject({ status: 'manual' });
  expect(await views.now()).toEqual({ seller: [], portal: [] });
});

it('an active subscription bought through Stripe is held, and a refund of its order takes it away at once', async () => {
  const email = 'subscriber@shop.example';
  const sub = await subscribe(h, store.live, stripe, stripeWebhook(h, store.slug, WEBHOOK_SECRET), 30 * 24 * 3600, undefined, email);
  const views = await viewsOf(email);
  const held = await views.until((e) => e.some((x) => x.kind === 'subscription_access'));
  // The monthly variant delivers a license key too.
  expect(kinds(held)).toEqual(['license', 'subscription_access']);

  expect(await refund(sub.invoiceId)).toMatchObject({ status: 'succeeded' });
  // The subscription workflow still has to cancel at Stripe; the refunded sale holds nothing meanwhile.
  expect(await views.now()).toEqual({ seller: [], portal: [] });
});

it('a delivered download is held, and a refund of its line item alone takes it away while the rest of the order stays', async () => {
  const email = 'downloader@shop.example';
  const file = await uploadFile(h, store.live, 'guide.pdf');
  const download = (
    await createVariant(h, store.live, { deliverable: { types: ['DOWNLOADABLE'], data: { files: [file] } }, payment_methods: ['PAYPAL'] })
  ).variantId;
  const licensed = (
    await createVariant(h, store.live, {
      deliverable: { types: ['LICENSE_KEY'], data: { license_key: { prefix: 'ENT', limit: 1, expires_in_days: null } } },
      payment_methods: ['PAYPAL'],
    })
  ).variantId;
  const invoiceId = await completedOrder(email, [download, licensed]);
  const views = await viewsOf(email);
  expect(kinds(await views.until((e) => e.length === 2))).toEqual(['delivered_product', 'license']);

  const downloadLine = await h.db
    .selectFrom('invoice_lines')
    .select('id')
    .where('invoice_id', '=', invoiceId)
    .where('variant_id', '=', download)
    .executeTakeFirstOrThrow();
  expect(await refund(invoiceId, { line_items: [downloadLine.id] })).toMatchObject({ status: 'manual' });
  expect(kinds((await views.now()).seller)).toEqual(['license']);
  expect(kinds((await views.now()).portal)).toEqual(['license']);
  expect((await api('get', `/invoices/${invoiceId}`).expect(200)).body.data.status.status.status).toBe('COMPLETED');

  // The rest of the order refunded: nothing is held.
  await refund(invoiceId);
  expect(await views.now()).toEqual({ seller: [], portal: [] });
});

it('a paused subscription is held suspended, its license key active; resumed, it is active again', async () => {
  const email = 'pauser@shop.example';
  const sub = await subscribe(h, store.live, stripe, stripeWebhook(h, store.slug, WEBHOOK_SECRET), 30 * 24 * 3600, undefined, email);
  const views = await viewsOf(email);
  expect(states(await views.until((e) => e.length === 2))).toEqual({ license: 'active', subscription_access: 'active' });
  const act = (action: string) =>
    request(h.app)
      .post(`/api/v2/subscriptions/${sub.id}/actions/${action}`)
      .set('Authorization', `Bearer ${store.live}`)
      .set('Idempotency-Key', `${email}-${action}`)
      .send({});

  expect((await act('pause').expect(200)).body.data.status).toBe('confirmed');
  // The pause renews no more but keeps the key working: the official model's `suspended`, not `active`.
  const paused = await views.now();
  expect(states(paused.seller)).toEqual({ license: 'active', subscription_access: 'suspended' });
  expect(paused.portal).toEqual(paused.seller);

  expect((await act('resume').expect(200)).body.data.status).toBe('confirmed');
  expect(states((await views.now()).portal)).toEqual({ license: 'active', subscription_access: 'active' });
});

it('an open dispute leaves the keys and downloads held, as the workflows leave them; a won one changes nothing', async () => {
  const email = 'disputer@shop.example';
  const file = await uploadFile(h, store.live, 'manual.pdf');
  const download = (
    await createVariant(h, store.live, { deliverable: { types: ['DOWNLOADABLE'], data: { files: [file] } }, payment_methods: ['PAYPAL'] })
  ).variantId;
  const licensed = (
    await createVariant(h, store.live, {
      deliverable: { types: ['LICENSE_KEY'], data: { license_key: { prefix: 'DSP', limit: 1, expires_in_days: null } } },
      payment_methods: ['PAYPAL'],
    })
  ).variantId;
  const invoiceId = await completedOrder(email, [download, licensed]);
  const views = await viewsOf(email);
  const before = await views.until((e) => e.length === 2);
  expect(kinds(before)).toEqual(['delivered_product', 'license']);

  await api('patch', `/invoices/${invoiceId}/status`, { status: 'DISPUTING' }).expect(200);
  // The key still works (its row is active) and both views still list it and the download.
  const keys = await h.db.selectFrom('license_keys').select('active').where('invoice_id', '=', invoiceId).execute();
  expect(keys).toEqual([{ active: true }]);
  expect(await views.now()).toEqual({ seller: before, portal: before });

  await api('patch', `/invoices/${invoiceId}/status`, { status: 'COMPLETED' }).expect(200);
  expect(await views.now()).toEqual({ seller: before, portal: before });
});
