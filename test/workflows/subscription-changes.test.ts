import type Stripe from 'stripe';
import request from 'supertest';
import { type StripeBilling, startStripeBilling } from '../fakes/stripe-billing';
import { waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';
import { stripeWebhook, subscribe as subscribeThrough } from '../helpers/subscription-fixtures';

/**
 * change-plan and change-renewal-date (issue 20 item 4) on the real dev server, with the
 * official Stripe SDK against the Stripe Billing fake: a preview records what Stripe's invoice
 * preview says the change charges, its confirm applies exactly that once (one item update, one
 * invoice) however often it is retried, and a renewal arriving before or during the confirm is
 * neither lost nor charged around.
 */
const WEBHOOK_SECRET = 'whsec_subscriptionchanges';
let stripe: StripeBilling;
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;

beforeAll(async () => {
  stripe = await startStripeBilling();
  h = await startHarness({ worker: true, env: { STRIPE_API_BASE: stripe.url, SUBSCRIPTION_CANCEL_CONFIRM_SECONDS: '1' } });
  store = await h.createStore();
  await api('put', '/settings/payment-methods/STRIPE', { secret_key: 'sk_live_changes', webhook_secret: WEBHOOK_SECRET }).expect(200);
}, 300_000);
afterAll(async () => {
  await h?.close();
  await stripe?.close();
});

function api(method: 'get' | 'post' | 'put', path: string, body?: object, token = store.live) {
  return request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${token}`).send(body);
}
const post = (path: string, body: object, token: string, key?: string) => {
  const req = request(h.app).post(`/api/v2${path}`).set('Authorization', `Bearer ${token}`);
  return (key ? req.set('Idempotency-Key', key) : req).send(body);
};
const webhook = (event: Stripe.Event) => stripeWebhook(h, store.slug, WEBHOOK_SECRET)(event);
const record = (id: number) => h.db.selectFrom('subscriptions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const updatesOf = async (id: number, reason: string) =>
  (
    await h.db.selectFrom('events').select('data').where('type', '=', 'subscription.updated').where('store_id', '=', store.id).execute()
  ).filter((e) => e.data.id === id && e.data.reason === reason);
/** Stripe item updates actually made (a replayed idempotency key is not a second one). */
const itemUpdates = (stripeId: string) =>
  new Set(
    stripe.requests
      .filter((r) => r.method === 'POST' && r.path === `/v1/subscriptions/${stripeId}` && r.body.items)
      .map((r) => r.idempotencyKey),
  ).size;
/**
 * Sends a request whose Stripe replies (under `path`, only `method`'s when given) are held until `meanwhile` is done: what
 * `meanwhile` does (a renewal's webhook) lands while the request waits for Stripe, however slow
 * the machine (a fixed delay did not, under CI load).
 */
async function answeredAfter(path: string, send: () => request.Test, meanwhile: () => Promise<unknown>, method?: string) {
  let release!: () => void;
  stripe.holdReplies(path, new Promise<void>((resolve) => (release = resolve)), method);
  try {
    return await Promise.all([send(), meanwhile().finally(release)]);
  } finally {
    release();
    stripe.holdReplies(path, null);
  }
}
const prorationInvoices = (stripeId: string) => stripe.invoicesOf(stripeId).filter((i) => i.billing_reason === 'subscription_update');

/** A subscriber of a 15.00 monthly variant, a 30.00 variant of the same product, the subscriber's portal session. */
async function subscriber(email: string) {
  const sub = await subscribeThrough(h, store.live, stripe, webhook, 30 * 24 * 3600, undefined, email);
  const current = await h.db
    .selectFrom('product_variants')
    .select(['id', 'product_id'])
    .where('id', '=', (await record(sub.id)).product_variant_id)
    .executeTakeFirstOrThrow();
  const pro = await api('post', `/products/${current.product_id}/variants`, {
    title: 'Pro',
    description: 'd',
    pricing: { humble: false, price: { price: 3000, currency: 'USD' }, type: 'SUBSCRIPTION', frequency: { value: 1, interval: 'MONTH' } },
    payment_methods: ['STRIPE'],
    deliverable: { types: ['LICENSE_KEY'], data: { license_key: { prefix: 'PRO', limit: 1, expires_in_days: null } } },
  }).expect(201);
  const customer = (await api('post', '/customers/search', { filters: [{ field: 'email', value: email }] }).expect(200)).body.data[0];
  const token = (await api('post', '/customer-sessions', { customer_id: customer.id }).expect(201)).body.data.token as string;
  return { ...sub, currentVariantId: current.id, proVariantId: pro.body.data.id as number, token };
}

describe('subscription changes', () => {
  it('charges exactly the previewed proration once, under retried and concurrent confirms', async () => {
    const sub = await subscriber('plan-once@e.co');
    const portal = `/customer-portal/subscriptions/${sub.id}/actions/change-plan`;
    const capabilities = (await api('get', `/customer-portal/subscriptions/${sub.id}/capabilities`, undefined, sub.token).expect(200)).body
      .data;
    expect(capabilities.capabilities.change_plan).toEqual({ allowed: true, reason: null });

    const preview = await post(`${portal}/preview`, { product_variant_id: sub.proVariantId }, sub.token, 'plan-preview-1').expect(200);
    const shown = preview.body.data;
    expect(shown).toMatchObject({ id: sub.id, product_variant_id: sub.currentVariantId, action: 'change_plan' });
    expect(shown.preview_id).toMatch(/^subprev_/);
    // What Stripe's invoice preview said: the rest of the period at 30.00 less the rest at 15.00.
    const asked = stripe.previews.at(-1)!;
    expect(shown.preview_payload.total_cents).toBe(asked.total);
    expect(shown.preview_payload.total_cents).toBeGreaterThan(1400);
    expect(shown.preview_payload.total_cents).toBeLessThanOrEqual(1500);
    expect(shown.preview_payload.proration_date).toBe(new Date(asked.proration_date * 1000).toISOString().replace('.000Z', '.000000Z'));
    // The same preview request again: the same preview, not a second one.
    const again = await post(`${portal}/preview`, { product_variant_id: sub.proVariantId }, sub.token, 'plan-preview-1').expect(200);
    expect(again.body.data.preview_id).toBe(shown.preview_id);

    // Three confirms at once (different request keys), then another: one action, one Stripe update, one invoice.
    const confirms = await Promise.all(
      ['c1', 'c2', 'c3'].map((key) => post(`${portal}/confirm`, { preview_id: shown.preview_id }, sub.token, key)),
    );
    expect(confirms.map((c) => c.status)).toEqual([200, 200, 200]);
    const actionIds = new Set(confirms.map((c) => c.body.data.action.id));
    expect(actionIds.size).toBe(1);
    expect(confirms[0]!.body.data.action).toMatchObject({ action: 'change_plan', status: 'confirmed', product_subscription_id: sub.id });
    const retried = await post(`${portal}/confirm`, { preview_id: shown.preview_id }, sub.token, 'c4').expect(200);
    expect(retried.body.data.action.id).toBe(confirms[0]!.body.data.action.id);
    expect(retried.body.data.product_variant_id).toBe(sub.proVariantId);

    expect(itemUpdates(sub.stripeId)).toBe(1);
    const invoices = prorationInvoices(sub.stripeId);
    expect(invoices).toHaveLength(1);
    expect(invoices[0]!.total).toBe(shown.preview_payload.total_cents);
    const update = stripe.requests.find((r) => r.path === `/v1/subscriptions/${sub.stripeId}` && r.body.items)!;
    expect(update.body).toMatchObject({ proration_behavior: 'always_invoice', proration_date: String(asked.proration_date) });
    expect(stripe.subscription(sub.stripeId)!.unit_amount).toBe(3000);
    expect((await record(sub.id)).product_variant_id).toBe(sub.proVariantId);
    expect(await updatesOf(sub.id, 'plan_changed')).toHaveLength(1);

    // The preview is spent; the subscription is on the variant now.
    expect((await post(`${portal}/preview`, { product_variant_id: sub.proVariantId }, sub.token).expect(422)).body.error.code).toBe(
      'same_plan',
    );
  }, 120_000);

  it('a renewal before the confirm makes the preview stale; one during it is kept and the change charged once', async () => {
    const sub = await subscriber('plan-race@e.co');
    const portal = `/customer-portal/subscriptions/${sub.id}/actions/change-plan`;
    const before = (await post(`${portal}/preview`, { product_variant_id: sub.proVariantId }, sub.token).expect(200)).body.data;

    // Stripe renews first (its period moves on): the preview's proration no longer holds.
    const first = await stripe.renewNow(sub.stripeId);
    await webhook(first.events.invoice);
    const renewedEnd = stripe.subscription(sub.stripeId)!.current_period_end * 1000;
    await waitFor(
      () => record(sub.id),
      (r) => r.current_period_end.getTime() === renewedEnd,
    );
    const stale = await post(`${portal}/confirm`, { preview_id: before.preview_id }, sub.token).expect(409);
    expect(stale.body.error.code).toBe('preview_stale');
    expect(itemUpdates(sub.stripeId)).toBe(0);

    // A fresh preview; the renewal's webhook lands while the confirm's Stripe call is under way.
    const fresh = (await post(`${portal}/preview`, { product_variant_id: sub.proVariantId }, sub.token).expect(200)).body.data;
    const [confirmed] = await answeredAfter(
      `/v1/subscriptions/${sub.stripeId}`,
      () => post(`${portal}/confirm`, { preview_id: fresh.preview_id }, sub.token, 'race-1'),
      () =>
        waitFor(
          async () => itemUpdates(sub.stripeId),
          (n) => n === 1,
        ).then(async () => webhook((await stripe.renewNow(sub.stripeId)).events.invoice)),
      // The item update's reply: the confirm reads the subscription's item first.
      'POST',
    );
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.data.action).toMatchObject({ action: 'change_plan', status: 'confirmed' });
    const row = await record(sub.id);
    expect(row.product_variant_id).toBe(sub.proVariantId);
    expect(row.current_period_end.getTime()).toBe(stripe.subscription(sub.stripeId)!.current_period_end * 1000);
    expect(prorationInvoices(sub.stripeId).map((i) => i.total)).toEqual([fresh.preview_payload.total_cents]);
    expect(await updatesOf(sub.id, 'plan_changed')).toHaveLength(1);
  }, 120_000);

  it('moves the renewal date as previewed, once; the confirm needs the preview and its date', async () => {
    const sub = await subscriber('renewal@e.co');
    const seller = `/subscriptions/${sub.id}/actions/change-renewal-date`;
    const date = new Date(Date.now() + 10 * 24 * 3600_000);
    date.setUTCMilliseconds(0);
    const renewal_date = date.toISOString();
    const preview = (await post(`${seller}/preview`, { renewal_date, reason: 'Align with the reading circle' }, store.live).expect(200))
      .body.data;
    expect(preview).toMatchObject({
      action: 'shift_billing_date',
      preview_payload: { total_cents: 0, amount_due_cents: 0, renewal_date: renewal_date.replace('.000Z', '.000000Z') },
      request_payload: { reason: 'Align with the reading circle' },
    });

    expect((await post(`${seller}/confirm`, { renewal_date }, store.live).expect(422)).body.error.code).toBe('preview_token_required');
    const otherDay = new Date(date.getTime() + 24 * 3600_000).toISOString();
    const mismatch = await post(`${seller}/confirm`, { renewal_date: otherDay, preview_token: preview.preview_token }, store.live).expect(
      422,
    );
    expect(mismatch.body.error.code).toBe('preview_mismatch');
    expect((await post(`${seller}/confirm`, { renewal_date, preview_token: 'subprev_nope' }, store.live).expect(422)).body.error.code).toBe(
      'invalid_preview',
    );
    // A customer cannot confirm the seller's preview.
    await post(
      `/customer-portal/subscriptions/${sub.id}/actions/change-renewal-date/confirm`,
      { preview_id: preview.preview_token },
      sub.token,
    ).expect(422);

    const confirmed = await post(`${seller}/confirm`, { renewal_date, preview_token: preview.preview_token }, store.live, 'r1').expect(200);
    expect(confirmed.body.data).toMatchObject({ action: 'shift_billing_date', status: 'confirmed', provider: 'STRIPE' });
    const retried = await post(`${seller}/confirm`, { renewal_date, preview_token: preview.preview_token }, store.live, 'r2').expect(200);
    expect(retried.body.data.id).toBe(confirmed.body.data.id);
    const shifts = stripe.requests.filter((r) => r.path === `/v1/subscriptions/${sub.stripeId}` && r.body.trial_end);
    expect(new Set(shifts.map((r) => r.idempotencyKey)).size).toBe(1);
    expect(shifts[0]!.body).toMatchObject({ trial_end: String(date.getTime() / 1000), proration_behavior: 'none' });
    expect(stripe.subscription(sub.stripeId)!.current_period_end).toBe(date.getTime() / 1000);
    expect((await record(sub.id)).current_period_end.getTime()).toBe(date.getTime());
    expect(await updatesOf(sub.id, 'renewal_date_changed')).toHaveLength(1);
    expect(prorationInvoices(sub.stripeId)).toHaveLength(0);

    // In the portal too: the customer's own preview and confirm.
    const later = new Date(date.getTime() + 5 * 24 * 3600_000).toISOString().slice(0, 10);
    const portal = `/customer-portal/subscriptions/${sub.id}/actions/change-renewal-date`;
    const shown = (await post(`${portal}/preview`, { renewal_date: later }, sub.token).expect(200)).body.data;
    expect(shown.preview_payload.renewal_date).toBe(`${later}T00:00:00.000000Z`);
    const done = await post(`${portal}/confirm`, { preview_id: shown.preview_id }, sub.token).expect(200);
    expect(done.body.data.action).toMatchObject({ action: 'shift_billing_date', status: 'confirmed' });
    expect((await record(sub.id)).current_period_end.toISOString()).toBe(`${later}T00:00:00.000Z`);
  }, 120_000);

  it('a renewal landing during a renewal date confirm is recorded once; the date moves once, from the period Stripe bills, never twice', async () => {
    const sub = await subscriber('renewal-race@e.co');
    const seller = `/subscriptions/${sub.id}/actions/change-renewal-date`;
    const date = new Date(Date.now() + 10 * 24 * 3600_000);
    date.setUTCMilliseconds(0);
    const renewal_date = date.toISOString();
    const first = (await post(`${seller}/preview`, { renewal_date }, store.live).expect(200)).body.data;

    // Stripe renews (the period the preview moved is over and paid again); its invoice.paid reaches
    // us while the confirm is talking to Stripe, after the row lock found no renewal.
    const renewal = await stripe.renewNow(sub.stripeId);
    const renewedEnd = stripe.subscription(sub.stripeId)!.current_period_end;
    const calls = () => stripe.requests.filter((r) => r.path === `/v1/subscriptions/${sub.stripeId}`);
    const shifts = () => calls().filter((r) => r.body.trial_end);
    const before = calls().length;
    const [stale] = await answeredAfter(
      `/v1/subscriptions/${sub.stripeId}`,
      () => post(`${seller}/confirm`, { renewal_date, preview_token: first.preview_token }, store.live, 'race-date-1'),
      () =>
        waitFor(
          async () => calls().length,
          (n) => n > before,
        ).then(() => webhook(renewal.events.invoice)),
    );
    // Moving the date now would cut the period just paid short: the action fails, Stripe is not asked.
    expect(stale.status).toBe(200);
    expect(stale.body.data).toMatchObject({ action: 'shift_billing_date', status: 'failed' });
    expect(stale.body.data.customer_message).toMatch(/renewed since the preview/);
    expect(shifts()).toHaveLength(0);
    expect((await record(sub.id)).current_period_end.getTime()).toBe(renewedEnd * 1000);

    // Previewed again against the renewed period, the date moves, once (a second confirm, a redelivered renewal: nothing more).
    const fresh = (await post(`${seller}/preview`, { renewal_date }, store.live).expect(200)).body.data;
    const confirmed = await post(`${seller}/confirm`, { renewal_date, preview_token: fresh.preview_token }, store.live, 'race-date-2');
    expect(confirmed.body.data).toMatchObject({ action: 'shift_billing_date', status: 'confirmed' });
    const retried = await post(`${seller}/confirm`, { renewal_date, preview_token: fresh.preview_token }, store.live, 'race-date-3');
    expect(retried.body.data.id).toBe(confirmed.body.data.id);
    await webhook(renewal.events.invoice);
    expect(stripe.subscription(sub.stripeId)!.current_period_end).toBe(date.getTime() / 1000);
    expect((await record(sub.id)).current_period_end.getTime()).toBe(date.getTime());
    expect(new Set(shifts().map((r) => r.idempotencyKey)).size).toBe(1);
    expect(await updatesOf(sub.id, 'renewal_date_changed')).toHaveLength(1);

    // One renewal, recorded once; Stripe billed the first payment and that renewal, nothing else.
    const renewed = (
      await h.db.selectFrom('events').select('data').where('type', '=', 'subscription.renewed').where('store_id', '=', store.id).execute()
    ).filter((e) => e.data.id === sub.id);
    expect(renewed).toHaveLength(1);
    const payments = await h.db
      .selectFrom('subscription_payments')
      .select('provider_invoice_id')
      .where('subscription_id', '=', sub.id)
      .execute();
    expect(payments.map((p) => p.provider_invoice_id).sort()).toEqual(
      stripe
        .invoicesOf(sub.stripeId)
        .map((i) => i.id)
        .sort(),
    );
    expect(stripe.invoicesOf(sub.stripeId).map((i) => i.billing_reason)).toEqual(['subscription_create', 'subscription_cycle']);
  }, 120_000);

  it('refuses what capabilities forbid, and a seller’s change-plan; a session acts only on its own subscription', async () => {
    const ann = await subscriber('ann-changes@e.co');
    const bob = await subscriber('bob-changes@e.co');
    const plan = (id: number) => `/customer-portal/subscriptions/${id}/actions/change-plan`;
    // Bob's subscription does not exist for Ann; nothing is previewed or changed.
    await post(`${plan(bob.id)}/preview`, { product_variant_id: bob.proVariantId }, ann.token).expect(404);
    const bobPreview = (await post(`${plan(bob.id)}/preview`, { product_variant_id: bob.proVariantId }, bob.token).expect(200)).body.data;
    await post(`${plan(bob.id)}/confirm`, { preview_id: bobPreview.preview_id }, ann.token).expect(404);
    // Bob's preview names nothing on Ann's subscription.
    expect((await post(`${plan(ann.id)}/confirm`, { preview_id: bobPreview.preview_id }, ann.token).expect(422)).body.error.code).toBe(
      'invalid_preview',
    );
    expect((await record(bob.id)).product_variant_id).toBe(bob.currentVariantId);
    // A session token opens no seller route, a seller key no portal route.
    expect((await post(`/subscriptions/${ann.id}/actions/change-renewal-date/preview`, {}, ann.token)).status).toBeGreaterThanOrEqual(401);
    expect((await post(`${plan(ann.id)}/preview`, { product_variant_id: ann.proVariantId }, store.live)).status).toBeGreaterThanOrEqual(
      401,
    );

    // Sellers: change-plan is the customer's action (422), as the official API answers.
    const seller = await post(
      `/subscriptions/${ann.id}/actions/change-plan/preview`,
      { target_variant_id: ann.proVariantId },
      store.live,
    ).expect(422);
    expect(seller.body.error.code).toBe('customer_action');
    await post(`/subscriptions/${ann.id}/actions/change-plan/confirm`, { target_variant_id: ann.proVariantId }, store.live).expect(422);
    // A target outside the product, or missing: 422 before the workflow is asked.
    expect((await post(`${plan(ann.id)}/preview`, { product_variant_id: bob.proVariantId }, ann.token).expect(422)).body.error.code).toBe(
      'invalid_target_variant',
    );
    expect((await post(`${plan(ann.id)}/preview`, {}, ann.token).expect(422)).body.error.code).toBe('product_variant_id_required');

    // A subscription billed by hand (no provider to prorate): capabilities say why, the preview is refused.
    await h.db.updateTable('subscriptions').set({ provider: 'MANUAL' }).where('id', '=', bob.id).execute();
    const manual = (await api('get', `/subscriptions/${bob.id}/capabilities`).expect(200)).body.data.capabilities;
    expect(manual.change_plan).toEqual({ allowed: false, reason: 'provider_not_supported' });
    expect(manual.shift_billing_date).toEqual({ allowed: false, reason: 'provider_not_supported' });
    const refused = await post(`${plan(bob.id)}/preview`, { product_variant_id: bob.proVariantId }, bob.token, 'manual-1').expect(409);
    expect(refused.body.error.code).toBe('provider_not_supported');
    await h.db.updateTable('subscriptions').set({ provider: 'STRIPE' }).where('id', '=', bob.id).execute();

    // A preview past its 15 minutes is confirmed no more.
    const soon = new Date(Date.now() + 3 * 24 * 3600_000).toISOString();
    const old = (await post(`/subscriptions/${ann.id}/actions/change-renewal-date/preview`, { renewal_date: soon }, store.live).expect(200))
      .body.data;
    expect(Date.parse(old.expires_at) - Date.now()).toBeGreaterThan(14 * 60_000);
    await h.db
      .updateTable('subscription_change_previews')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('subscription_id', '=', ann.id)
      .where('action', '=', 'shift_billing_date')
      .execute();
    const expired = await post(
      `/subscriptions/${ann.id}/actions/change-renewal-date/confirm`,
      { renewal_date: soon, preview_token: old.preview_token },
      store.live,
    ).expect(409);
    expect(expired.body.error.code).toBe('preview_expired');
    expect(stripe.subscription(ann.stripeId)!.trial_end ?? null).toBeNull();

    // Cancelled: no change at all, and a preview made before cannot be confirmed.
    const pending = (await post(`${plan(ann.id)}/preview`, { product_variant_id: ann.proVariantId }, ann.token).expect(200)).body.data;
    await api('post', `/subscriptions/${ann.id}/actions/cancel-immediately`).expect(200);
    await waitFor(
      () => record(ann.id),
      (r) => r.status === 'CANCELED',
      30_000,
    );
    const capabilities = (await api('get', `/subscriptions/${ann.id}/capabilities`).expect(200)).body.data.capabilities;
    expect(capabilities.change_plan).toEqual({ allowed: false, reason: 'subscription_ended' });
    expect((await post(`${plan(ann.id)}/confirm`, { preview_id: pending.preview_id }, ann.token).expect(409)).body.error.code).toBe(
      'subscription_ended',
    );
    const date = new Date(Date.now() + 5 * 24 * 3600_000).toISOString();
    const ended = await post(`/subscriptions/${ann.id}/actions/change-renewal-date/preview`, { renewal_date: date }, store.live).expect(
      409,
    );
    expect(ended.body.error.code).toBe('subscription_ended');
    expect(itemUpdates(ann.stripeId)).toBe(0);
  }, 150_000);
});
