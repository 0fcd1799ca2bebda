import type Stripe from 'stripe';
import request from 'supertest';
import { takeSubscriptionAction } from '../../src/subscriptions/subscription-workflow-client';
import { workflowIds } from '../../src/temporal/workflow-ids';
import { type StripeBilling, startStripeBilling } from '../fakes/stripe-billing';
import { waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';
import { stripeWebhook, subscribe as subscribeThrough } from '../helpers/subscription-fixtures';

/**
 * Subscription actions (issue 20 item 4) are Updates on the subscription workflow, on the real
 * dev server, with the official Stripe SDK against the Stripe Billing fake: the workflow's
 * decision is the route's answer, a retried request is one action (one Stripe call), and a
 * renewal arriving mid-action is neither lost nor undone.
 */
const WEBHOOK_SECRET = 'whsec_subscriptionactions';
let stripe: StripeBilling;
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;

beforeAll(async () => {
  stripe = await startStripeBilling();
  h = await startHarness({
    worker: true,
    env: {
      STRIPE_API_BASE: stripe.url,
      SUBSCRIPTION_CANCEL_CONFIRM_SECONDS: '1',
      SUBSCRIPTION_RENEWAL_CHECK_SECONDS: '1',
      SUBSCRIPTION_RENEWAL_LEEWAY_SECONDS: '1',
    },
  });
  store = await h.createStore();
  await api('put', '/settings/payment-methods/STRIPE', { secret_key: 'sk_live_actions', webhook_secret: WEBHOOK_SECRET }).expect(200);
  await api('put', '/settings/subscriptions', { grace_period_seconds: 1 }).expect(200);
}, 300_000);
afterAll(async () => {
  await h?.close();
  await stripe?.close();
});

function api(method: 'get' | 'post' | 'put', path: string, body?: object, token = store.live) {
  return request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${token}`).send(body);
}
const act = (id: number, action: string, key?: string, token?: string, base = '/subscriptions') => {
  const req = request(h.app)
    .post(`/api/v2${base}/${id}/actions/${action}`)
    .set('Authorization', `Bearer ${token ?? store.live}`);
  return (key ? req.set('Idempotency-Key', key) : req).send({});
};
const webhook = (event: Stripe.Event) => stripeWebhook(h, store.slug, WEBHOOK_SECRET)(event);
const subscribe = (periodSeconds: number, email?: string) =>
  subscribeThrough(h, store.live, stripe, webhook, periodSeconds, undefined, email);
const record = (id: number) => h.db.selectFrom('subscriptions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const eventsOf = async (type: string, id: number) =>
  (await h.db.selectFrom('events').select('data').where('type', '=', type).where('store_id', '=', store.id).execute()).filter(
    (e) => e.data.id === id,
  );
const stripeCalls = (fragment: string) => stripe.requests.filter((r) => r.method === 'POST' && r.idempotencyKey?.includes(fragment));
const renewalsOf = (id: number) => eventsOf('subscription.renewed', id);
/** Stripe calls an action made (a replayed idempotency key is not a second call). */
/** The idempotency keys of one subscription's `call` to Stripe (activities/subscriptions.ts names them). */
const callsOf = (id: number, call: string) => new RegExp(`^sellflow-sub-${id}-${call}-`);
const distinctCalls = (key: RegExp) =>
  new Set(stripe.requests.filter((r) => r.method !== 'GET' && key.test(r.idempotencyKey ?? '')).map((r) => r.idempotencyKey)).size;
/** Stripe's period rolls over now and it charges the next one (its webhook is the caller's to deliver). */
const renewNow = (stripeId: string) => stripe.renewNow(stripeId);
/**
 * Starts an action whose Stripe reply (to `path`) is held back until the renewal is in: once Stripe
 * has the action's call (idempotency key matching `key`), Stripe renews (`renewal`) and that
 * renewal's invoice.paid reaches us and is answered, and only then does the action get its reply.
 * The renewal lands mid-action every time, however slow the machine (a fixed delay did not, under CI load).
 */
type Renewal = ReturnType<StripeBilling['renew']>;
async function renewalMidAction(path: string, key: RegExp, send: () => request.Test, renewal: () => Renewal | Promise<Renewal>) {
  const before = distinctCalls(key);
  let release!: () => void;
  stripe.holdReplies(path, new Promise<void>((resolve) => (release = resolve)));
  try {
    const [answer] = await Promise.all([
      send(),
      waitFor(
        async () => distinctCalls(key),
        (n) => n > before,
      )
        .then(async () => webhook((await renewal()).events.invoice))
        .finally(release),
    ]);
    return answer;
  } finally {
    release();
    stripe.holdReplies(path, null);
  }
}
/** One renewal recorded, and Stripe billed the first payment and that renewal, nothing else, nothing refunded. */
async function expectOneRenewalBilledOnce(id: number, stripeId: string) {
  expect(await renewalsOf(id)).toHaveLength(1);
  const invoices = stripe.invoicesOf(stripeId);
  expect(invoices.map((i) => i.billing_reason)).toEqual(['subscription_create', 'subscription_cycle']);
  const payments = await h.db.selectFrom('subscription_payments').select('provider_invoice_id').where('subscription_id', '=', id).execute();
  expect(payments.map((p) => p.provider_invoice_id).sort()).toEqual(invoices.map((i) => i.id).sort());
  expect(stripe.refunds.filter((r) => r.metadata.subscription_id === String(id))).toEqual([]);
}
const acceptedUpdates = async (id: number) => {
  const history = await h.temporal.client.workflow.getHandle(workflowIds.subscription(id)).fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length;
};

describe('subscription actions', () => {
  it('pauses once under a retried request, with a renewal arriving mid-action; renews no more while paused; resumes', async () => {
    // Long enough for the pause to land before the period (plus grace and leeway) ends on a loaded machine.
    const sub = await subscribe(8);
    const capabilities = (await api('get', `/subscriptions/${sub.id}/capabilities`).expect(200)).body.data;
    expect(capabilities.capabilities.pause).toEqual({ allowed: true, reason: null });
    expect(capabilities.capabilities.resume).toEqual({ allowed: false, reason: 'not_paused' });
    // The official seller model: our id, Stripe's subscription id, and the spec's action names.
    expect(capabilities).toMatchObject({ id: sub.id, subscription_id: sub.stripeId });
    expect(capabilities.capabilities.shift_billing_date).toEqual({ allowed: true, reason: null });
    expect(capabilities.capabilities).not.toHaveProperty('change_renewal_date');

    // Stripe renews while it is taking the pause (its reply not back yet); both land.
    const paused = await renewalMidAction(
      `/v1/subscriptions/${sub.stripeId}`,
      callsOf(sub.id, 'pause'),
      () => act(sub.id, 'pause', 'pause-1'),
      () => stripe.renew(sub.stripeId),
    );
    expect(paused.status).toBe(200);
    expect(paused.body.data).toMatchObject({
      product_subscription_id: sub.id,
      subscription_id: sub.stripeId,
      action: 'pause',
      status: 'confirmed',
      provider: 'STRIPE',
    });
    // The client retries: the same action, no second Stripe call or event.
    const retried = await act(sub.id, 'pause', 'pause-1').expect(200);
    expect(retried.body.data.id).toBe(paused.body.data.id);
    // The workflow itself answers a retried Update (same request key) with the first record.
    const row = await record(sub.id);
    const direct = await takeSubscriptionAction(h.temporal.client, h.taskQueue, row, {
      action: 'pause',
      requestKey: 'seller:pause:pause-1',
      actor: 'seller',
    });
    expect(direct.id).toBe(paused.body.data.id);
    expect(stripeCalls('-pause-')).toHaveLength(1);
    expect(stripe.subscription(sub.stripeId)!.pause_collection).toEqual({ behavior: 'void' });
    expect(await eventsOf('subscription.paused', sub.id)).toHaveLength(1);
    await waitFor(
      () => record(sub.id),
      (r) => r.current_period_end.getTime() === stripe.subscription(sub.stripeId)!.current_period_end * 1000,
    );
    expect((await record(sub.id)).paused_at).not.toBeNull();
    await expectOneRenewalBilledOnce(sub.id, sub.stripeId);

    // Paused: another pause is refused with the reason, by the workflow's validator or its activity.
    const again = await act(sub.id, 'pause', 'pause-2').expect(409);
    expect(again.body.error.code).toBe('paused');

    // Past the period end, grace (1 s) and leeway (1 s): a paused subscription does not expire.
    const lapsed = (await record(sub.id)).current_period_end.getTime() + 4_000;
    await new Promise((r) => setTimeout(r, Math.max(0, lapsed - Date.now())));
    expect((await record(sub.id)).status).toBe('ACTIVE');

    // Stripe's clock went on while collection was paused (its invoices voided): resumed, access
    // follows the period Stripe is in now.
    const remote = stripe.subscription(sub.stripeId)!;
    remote.current_period_start = Math.floor(Date.now() / 1000);
    remote.current_period_end = remote.current_period_start + 3600;
    const resumed = await act(sub.id, 'resume').expect(200);
    expect((await record(sub.id)).current_period_end.getTime()).toBe(remote.current_period_end * 1000);
    expect(resumed.body.data).toMatchObject({ action: 'resume', status: 'confirmed' });
    expect(stripe.subscription(sub.stripeId)!.pause_collection).toBeNull();
    expect((await record(sub.id)).paused_at).toBeNull();
    expect(await eventsOf('subscription.resumed', sub.id)).toHaveLength(1);
    expect((await act(sub.id, 'resume').expect(409)).body.error.code).toBe('not_paused');
    // pause, its retried Update and resume were Updates the workflow accepted (a refusal is accepted
    // too when the validator had no fresh capabilities and the activity refused it under the lock).
    expect(await acceptedUpdates(sub.id)).toBeGreaterThanOrEqual(3);
    await api('post', `/subscriptions/${sub.id}/actions/cancel-immediately`).expect(200);
  }, 90_000);

  it('answers update-payment-method with Stripe’s hosted page for the subscription’s customer, once per request key', async () => {
    const sub = await subscribe(3600);
    const ask = () =>
      request(h.app)
        .post(`/api/v2/subscriptions/${sub.id}/actions/update-payment-method`)
        .set('Authorization', `Bearer ${store.live}`)
        .set('Idempotency-Key', 'card-1')
        .send({ return_url: 'https://shop.example/account' });
    const page = await ask().expect(200);
    expect(page.body).toMatch(/^https:\/\/billing\.stripe\.test\/p\/session\/bps_/);
    const calls = stripe.requests.filter((r) => r.path === '/v1/billing_portal/sessions');
    expect(calls.at(-1)!.body).toMatchObject({
      customer: stripe.subscription(sub.stripeId)!.customer,
      return_url: 'https://shop.example/account',
    });
    expect(calls.at(-1)!.idempotencyKey).toBe(`sellflow-sub-${sub.id}-update-payment-method-seller:update_payment_method:card-1`);
    expect((await ask().expect(200)).body).toBe(page.body);
    await act(sub.id, 'cancel-immediately').expect(200);
    await waitFor(
      () => record(sub.id),
      (r) => r.status === 'CANCELED',
      30_000,
    );
    expect((await act(sub.id, 'update-payment-method').expect(409)).body.error.code).toBe('subscription_ended');
  }, 60_000);

  it('cancels at period end once, then immediately; an ended subscription refuses every action', async () => {
    const sub = await subscribe(3600);
    const scheduled = await act(sub.id, 'cancel-period-end', 'end-1').expect(200);
    expect(scheduled.body.data).toMatchObject({ action: 'cancel_at_period_end', status: 'confirmed' });
    expect(stripe.subscription(sub.stripeId)!.cancel_at_period_end).toBe(true);
    expect((await act(sub.id, 'cancel-period-end', 'end-1').expect(200)).body.data.id).toBe(scheduled.body.data.id);
    expect((await act(sub.id, 'cancel-period-end', 'end-2').expect(409)).body.error.code).toBe('cancels_at_period_end');
    expect((await act(sub.id, 'pause').expect(409)).body.error.code).toBe('cancels_at_period_end');

    const now = await act(sub.id, 'cancel-immediately').expect(200);
    expect(now.body.data).toMatchObject({ action: 'cancel_immediately', status: 'confirmed' });
    expect(stripe.subscription(sub.stripeId)!.status).toBe('canceled');
    await waitFor(
      () => record(sub.id),
      (r) => r.status === 'CANCELED',
      30_000,
    );
    const capabilities = (await api('get', `/subscriptions/${sub.id}/capabilities`).expect(200)).body.data.capabilities;
    expect(Object.values(capabilities).every((c) => (c as { reason: string }).reason === 'subscription_ended')).toBe(true);
    expect((await act(sub.id, 'resume').expect(409)).body.error.code).toBe('subscription_ended');
    expect((await act(sub.id, 'cancel-immediately').expect(409)).body.error.code).toBe('subscription_ended');
  }, 90_000);

  it('a customer acts on their own subscription through the portal, never on another’s', async () => {
    const ann = await subscribe(3600, 'ann-actions@e.co');
    const bob = await subscribe(3600, 'bob-actions@e.co');
    const sessionOf = async (email: string) => {
      const customer = (await api('post', '/customers/search', { filters: [{ field: 'email', value: email }] }).expect(200)).body.data[0];
      return (await api('post', '/customer-sessions', { customer_id: customer.id }).expect(201)).body.data.token as string;
    };
    const annToken = await sessionOf('ann-actions@e.co');
    const portal = '/customer-portal/subscriptions';
    // Bob's subscription does not exist for Ann, and nothing happened to it.
    await act(bob.id, 'pause', undefined, annToken, portal).expect(404);
    await act(bob.id, 'cancel-immediately', undefined, annToken, portal).expect(404);
    expect(await record(bob.id)).toMatchObject({ paused_at: null, cancellation_in_progress: false, cancel_at_period_end: false });
    // A session token opens no seller route.
    expect((await act(ann.id, 'pause', undefined, annToken)).status).toBeGreaterThanOrEqual(401);

    const paused = await act(ann.id, 'pause', 'portal-1', annToken, portal).expect(200);
    expect(paused.body.data).toMatchObject({ action: 'pause', status: 'confirmed', product_subscription_id: ann.id });
    const actor = await h.db
      .selectFrom('subscription_actions')
      .select('actor')
      .where('id', '=', paused.body.data.id)
      .executeTakeFirstOrThrow();
    expect(actor.actor).toBe('customer');
    expect((await act(ann.id, 'pause', 'portal-2', annToken, portal).expect(409)).body.error.code).toBe('paused');
    await act(ann.id, 'resume', undefined, annToken, portal).expect(200);
    await act(bob.id, 'update-payment-method', undefined, annToken, portal).expect(404);
    expect((await act(ann.id, 'update-payment-method', undefined, annToken, portal).expect(200)).body).toMatch(/^https:\/\/billing/);
    await act(ann.id, 'cancel-period-end', undefined, annToken, portal).expect(200);
    expect((await record(ann.id)).cancel_at_period_end).toBe(true);
  }, 90_000);
});

describe('a renewal arriving mid-action', () => {
  it('resume: applied once under a retried request, the renewal recorded once, access on the period Stripe bills', async () => {
    const sub = await subscribe(3600);
    await act(sub.id, 'pause').expect(200);
    const resumed = await renewalMidAction(
      `/v1/subscriptions/${sub.stripeId}`,
      callsOf(sub.id, 'resume'),
      () => act(sub.id, 'resume', 'resume-1'),
      () => renewNow(sub.stripeId),
    );
    expect(resumed.status).toBe(200);
    expect(resumed.body.data).toMatchObject({ action: 'resume', status: 'confirmed' });
    // Retried, at once and later: the same action, nothing asked of Stripe again.
    const retried = await Promise.all([act(sub.id, 'resume', 'resume-1'), act(sub.id, 'resume', 'resume-1')]);
    expect(retried.map((r) => [r.status, r.body.data.id])).toEqual([
      [200, resumed.body.data.id],
      [200, resumed.body.data.id],
    ]);
    expect(distinctCalls(callsOf(sub.id, 'resume'))).toBe(1);
    expect(await eventsOf('subscription.resumed', sub.id)).toHaveLength(1);
    const remote = stripe.subscription(sub.stripeId)!;
    expect(remote.pause_collection).toBeNull();
    const row = await record(sub.id);
    expect(row).toMatchObject({ paused_at: null, status: 'ACTIVE' });
    expect(row.current_period_end.getTime()).toBe(remote.current_period_end * 1000);
    await expectOneRenewalBilledOnce(sub.id, sub.stripeId);
  }, 90_000);

  it('cancel-period-end: scheduled once, on the renewed period', async () => {
    const sub = await subscribe(3600);
    const scheduled = await renewalMidAction(
      `/v1/subscriptions/${sub.stripeId}`,
      callsOf(sub.id, 'cancel-at-period-end'),
      () => act(sub.id, 'cancel-period-end', 'end-race-1'),
      () => renewNow(sub.stripeId),
    );
    expect(scheduled.status).toBe(200);
    expect(scheduled.body.data).toMatchObject({ action: 'cancel_at_period_end', status: 'confirmed' });
    expect((await act(sub.id, 'cancel-period-end', 'end-race-1').expect(200)).body.data.id).toBe(scheduled.body.data.id);
    expect(distinctCalls(callsOf(sub.id, 'cancel-at-period-end'))).toBe(1);
    const remote = stripe.subscription(sub.stripeId)!;
    expect(remote).toMatchObject({ cancel_at_period_end: true, status: 'active' });
    const row = await record(sub.id);
    expect(row).toMatchObject({ cancel_at_period_end: true, status: 'ACTIVE' });
    expect(row.current_period_end.getTime()).toBe(remote.current_period_end * 1000);
    await expectOneRenewalBilledOnce(sub.id, sub.stripeId);
  }, 90_000);

  it('cancel-immediately: canceled once under a retried request; the renewal Stripe billed first is recorded once and revives nothing', async () => {
    const sub = await subscribe(3600);
    // Stripe billed the renewal just before it took the cancel; the renewal's webhook comes in during the cancel.
    const renewal = await renewNow(sub.stripeId);
    const canceled = await renewalMidAction(
      `/v1/subscriptions/${sub.stripeId}`,
      callsOf(sub.id, 'cancel-\\d+'),
      () => act(sub.id, 'cancel-immediately', 'now-1'),
      () => renewal,
    );
    expect(canceled.status).toBe(200);
    expect(canceled.body.data).toMatchObject({ action: 'cancel_immediately', status: 'confirmed' });
    const retried = await Promise.all([act(sub.id, 'cancel-immediately', 'now-1'), act(sub.id, 'cancel-immediately', 'now-1')]);
    expect(retried.map((r) => [r.status, r.body.data.id])).toEqual([
      [200, canceled.body.data.id],
      [200, canceled.body.data.id],
    ]);
    await webhook(stripe.deletedEvent(sub.stripeId));
    await waitFor(
      () => record(sub.id),
      (r) => r.status === 'CANCELED',
      30_000,
    );
    expect(stripe.subscription(sub.stripeId)!.status).toBe('canceled');
    expect(stripe.requests.filter((r) => r.method === 'DELETE' && r.path === `/v1/subscriptions/${sub.stripeId}`).length).toBeGreaterThan(
      0,
    );
    expect(distinctCalls(callsOf(sub.id, '(cancel|end)'))).toBe(1);
    expect(
      (await h.db.selectFrom('subscription_actions').select('id').where('subscription_id', '=', sub.id).execute()).map((a) => a.id),
    ).toEqual([canceled.body.data.id]);
    await expectOneRenewalBilledOnce(sub.id, sub.stripeId);
    expect((await act(sub.id, 'cancel-immediately', 'now-2').expect(409)).body.error.code).toBe('subscription_ended');
  }, 90_000);

  it('update-payment-method: one hosted page, the renewal recorded once', async () => {
    const sub = await subscribe(3600);
    const page = await renewalMidAction(
      '/v1/billing_portal/sessions',
      callsOf(sub.id, 'update-payment-method'),
      () => act(sub.id, 'update-payment-method', 'card-race-1'),
      () => renewNow(sub.stripeId),
    );
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/^https:\/\/billing\.stripe\.test\/p\/session\/bps_/);
    expect((await act(sub.id, 'update-payment-method', 'card-race-1').expect(200)).body).toBe(page.body);
    expect(distinctCalls(callsOf(sub.id, 'update-payment-method'))).toBe(1);
    const row = await record(sub.id);
    expect(row.status).toBe('ACTIVE');
    expect(row.current_period_end.getTime()).toBe(stripe.subscription(sub.stripeId)!.current_period_end * 1000);
    await expectOneRenewalBilledOnce(sub.id, sub.stripeId);
  }, 90_000);
});
