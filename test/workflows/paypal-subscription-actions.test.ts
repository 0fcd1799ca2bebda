import request from 'supertest';
import { type PaypalFake, startPaypalFake } from '../fakes/paypal';
import { type PaypalBillingFake, paypalBilling } from '../fakes/paypal-billing';
import { waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';
import { licenseKeys, subscribeThroughPaypal, subscriptionVariant } from '../helpers/subscription-fixtures';

/**
 * Pause and resume of PayPal subscriptions (issue 20 item 4 on issue 23 item 2's PayPal billing),
 * on the real dev server through the official PayPal SDK against the PayPal fake: the actions are
 * the same Updates Stripe's are; PayPal suspends and activates once whatever is retried; the
 * SUSPENDED event echoing our own pause is no news, and a suspension PayPal makes on its own
 * (failed payments) still makes the subscription PAST_DUE.
 */
const WEBHOOK_ID = 'WHLIVEPAUSE01';
const LIVE = { clientId: 'AZlivePauseClient01', clientSecret: 'ELlivePauseSecret01', mode: 'live' as const };
let paypal: PaypalFake;
let billing: PaypalBillingFake;
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;

beforeAll(async () => {
  paypal = await startPaypalFake();
  paypal.addApp(LIVE, WEBHOOK_ID);
  billing = paypalBilling(paypal);
  h = await startHarness({
    worker: true,
    // A minute of grace and of leeway: the resumed subscription's sale has time to arrive, while a
    // period that ended a day ago would be settled at once were the subscription not paused.
    env: { PAYPAL_API_URL: paypal.url, SUBSCRIPTION_RENEWAL_CHECK_SECONDS: '1', SUBSCRIPTION_RENEWAL_LEEWAY_SECONDS: '60' },
  });
  store = await h.createStore();
  await api('put', '/settings/payment-methods/PAYPAL', {
    client_id: LIVE.clientId,
    client_secret: LIVE.clientSecret,
    webhook_id: WEBHOOK_ID,
  }).expect(200);
  await api('put', '/settings/subscriptions', { grace_period_seconds: 60 }).expect(200);
  ({ variantId } = await subscriptionVariant(h, store.live, licenseKeys('PPP')));
}, 300_000);
afterAll(async () => {
  await h?.close();
  await paypal?.close();
});

function api(method: 'get' | 'post' | 'put', path: string, body?: object) {
  return request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);
}
const act = (id: number, action: string, key?: string) => {
  const req = request(h.app).post(`/api/v2/subscriptions/${id}/actions/${action}`).set('Authorization', `Bearer ${store.live}`);
  return (key ? req.set('Idempotency-Key', key) : req).send({});
};
async function webhook(event: object) {
  const { body, headers } = paypal.deliver(event, WEBHOOK_ID);
  return (await request(h.app).post(`/webhooks/paypal/${store.slug}/live`).set(headers).send(body).expect(200)).body as {
    duplicate: boolean;
    invoice_id: number | null;
    subscription_id: number | null;
  };
}
const record = (id: number) => h.db.selectFrom('subscriptions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const eventsOf = async (type: string, id: number) =>
  (await h.db.selectFrom('events').select('data').where('type', '=', type).where('store_id', '=', store.id).execute()).filter(
    (e) => e.data.id === id,
  );
const capabilities = async (id: number) =>
  (await api('get', `/subscriptions/${id}/capabilities`).expect(200)).body.data.capabilities as Record<
    string,
    { allowed: boolean; reason: string | null }
  >;
const calls = (paypalId: string, verb: 'suspend' | 'activate') =>
  paypal.requests.filter((r) => r.method === 'POST' && r.path === `/v1/billing/subscriptions/${paypalId}/${verb}`);
const reads = (paypalId: string) => paypal.requests.filter((r) => r.method === 'GET' && r.path === `/v1/billing/subscriptions/${paypalId}`);

let variantId: number;
const subscribe = (email: string) => subscribeThroughPaypal(h, store.live, billing, webhook, variantId, email);

describe('PayPal subscription pause and resume', () => {
  it('pauses once under a retried request; the echo is no news; paused, it neither renews nor expires; resumed, access runs to PayPal’s next bill', async () => {
    const sub = await subscribe('pauser@example.com');
    let allowed = await capabilities(sub.id);
    expect(allowed.pause).toEqual({ allowed: true, reason: null });
    expect(allowed.resume).toEqual({ allowed: false, reason: 'not_paused' });
    // What PayPal cannot do for us stays refused.
    for (const action of ['update_payment_method', 'change_plan', 'shift_billing_date'])
      expect(allowed[action]).toEqual({ allowed: false, reason: 'provider_not_supported' });

    const paused = await act(sub.id, 'pause', 'pp-pause-1').expect(200);
    expect(paused.body.data).toMatchObject({
      product_subscription_id: sub.id,
      subscription_id: sub.paypalId,
      action: 'pause',
      status: 'confirmed',
      provider: 'PAYPAL',
    });
    // The client retries: the same action, no second PayPal call.
    expect((await act(sub.id, 'pause', 'pp-pause-1').expect(200)).body.data.id).toBe(paused.body.data.id);
    expect(calls(sub.paypalId, 'suspend')).toHaveLength(1);
    expect(calls(sub.paypalId, 'suspend')[0]!.body.reason).toBe(`Paused by the seller (Sellflow pause ${paused.body.data.id})`);
    expect(billing.subscription(sub.paypalId).status).toBe('SUSPENDED');
    expect((await act(sub.id, 'pause', 'pp-pause-2').expect(409)).body.error.code).toBe('paused');
    allowed = await capabilities(sub.id);
    expect(allowed.resume).toEqual({ allowed: true, reason: null });
    expect(allowed.pause).toEqual({ allowed: false, reason: 'paused' });

    // The paid period ends while paused (a day ago, at our record and at PayPal): not expired, no
    // renewal asked of PayPal. PayPal's echo of the suspend wakes the workflow and changes nothing.
    const dayAgo = new Date(Date.now() - 24 * 3600_000);
    await h.db.updateTable('subscriptions').set({ current_period_end: dayAgo }).where('id', '=', sub.id).execute();
    billing.subscription(sub.paypalId).nextBillingTime = dayAgo.toISOString();
    const readsBefore = reads(sub.paypalId).length;
    const echo = billing.event(sub.paypalId, 'BILLING.SUBSCRIPTION.SUSPENDED');
    expect((await webhook(echo)).subscription_id).toBe(sub.id);
    await new Promise((r) => setTimeout(r, 4_000));
    expect(await record(sub.id)).toMatchObject({ status: 'ACTIVE', payment_failed_at: null, ended_at: null });
    expect(await eventsOf('subscription.payment_failed', sub.id)).toHaveLength(0);
    expect(reads(sub.paypalId)).toHaveLength(readsBefore);

    const resumed = await act(sub.id, 'resume', 'pp-resume-1').expect(200);
    expect(resumed.body.data).toMatchObject({ action: 'resume', status: 'confirmed', provider: 'PAYPAL' });
    expect((await act(sub.id, 'resume', 'pp-resume-1').expect(200)).body.data.id).toBe(resumed.body.data.id);
    expect(calls(sub.paypalId, 'activate')).toHaveLength(1);
    const remote = billing.subscription(sub.paypalId);
    expect(remote.status).toBe('ACTIVE');
    // PayPal bills the cycle that fell due while suspended now: access runs until that bill.
    let row = await record(sub.id);
    expect(row.paused_at).toBeNull();
    expect(row.current_period_end.toISOString()).toBe(remote.nextBillingTime);
    expect((await act(sub.id, 'resume').expect(409)).body.error.code).toBe('not_paused');

    // The echo again, late (after the resume), and the activation's: still no news.
    await webhook({ ...echo, id: `${echo.id}-late` });
    await webhook(billing.event(sub.paypalId, 'BILLING.SUBSCRIPTION.ACTIVATED'));
    // PayPal bills: a renewal, one interval from the bill.
    await webhook(billing.renew(sub.paypalId));
    row = await waitFor(
      () => record(sub.id),
      (r) => r.current_period_end.getTime() > Date.parse(remote.lastPayment!.time) + 27 * 24 * 3600_000,
    );
    expect(row).toMatchObject({ status: 'ACTIVE', payment_failed_at: null });
    expect(await eventsOf('subscription.payment_failed', sub.id)).toHaveLength(0);
    expect(await eventsOf('subscription.renewed', sub.id)).toHaveLength(1);
    expect(await eventsOf('subscription.paused', sub.id)).toHaveLength(1);
    expect(await eventsOf('subscription.resumed', sub.id)).toHaveLength(1);
  }, 90_000);

  it('a reply PayPal lost is retried by the activity: suspended and activated once each', async () => {
    const sub = await subscribe('lost-replies@example.com');
    paypal.loseReplies(`/v1/billing/subscriptions/${sub.paypalId}/suspend`, 1);
    const paused = await act(sub.id, 'pause').expect(200);
    expect(paused.body.data).toMatchObject({ action: 'pause', status: 'confirmed' });
    // The retry found it SUSPENDED (PayPal's 422 for a subscription not ACTIVE) and asked no more.
    expect(calls(sub.paypalId, 'suspend')).toHaveLength(2);
    expect(billing.subscription(sub.paypalId).status).toBe('SUSPENDED');

    paypal.loseReplies(`/v1/billing/subscriptions/${sub.paypalId}/activate`, 1);
    const resumed = await act(sub.id, 'resume').expect(200);
    expect(resumed.body.data).toMatchObject({ action: 'resume', status: 'confirmed' });
    expect(calls(sub.paypalId, 'activate')).toHaveLength(2);
    expect(billing.subscription(sub.paypalId).status).toBe('ACTIVE');
    expect(await record(sub.id)).toMatchObject({ status: 'ACTIVE', paused_at: null });
    expect(await eventsOf('subscription.paused', sub.id)).toHaveLength(1);
    expect(await eventsOf('subscription.resumed', sub.id)).toHaveLength(1);
  }, 90_000);

  it('a suspension PayPal makes on its own after a pause and resume is a payment problem; one PayPal ended is refused, the pause undone', async () => {
    const sub = await subscribe('suspended-by-paypal@example.com');
    await act(sub.id, 'pause').expect(200);
    await act(sub.id, 'resume').expect(200);
    // Failed payments past the plan's threshold: PayPal suspends it (its note is still our resume's).
    const suspended = billing.suspend(sub.paypalId);
    expect((suspended.resource as { status_change_note?: string }).status_change_note).toMatch(/^Resumed by the seller/);
    await webhook(suspended);
    await waitFor(
      () => record(sub.id),
      (r) => r.status === 'PAST_DUE',
    );
    expect(await eventsOf('subscription.payment_failed', sub.id)).toHaveLength(1);
    expect((await capabilities(sub.id)).pause).toEqual({ allowed: false, reason: 'past_due' });

    // The buyer cancelled at PayPal; its event is not here yet when the seller pauses.
    const other = await subscribe('cancelled-at-paypal@example.com');
    billing.cancelByBuyer(other.paypalId);
    const refused = await act(other.id, 'pause').expect(200);
    expect(refused.body.data).toMatchObject({ action: 'pause', status: 'failed' });
    expect(refused.body.data.customer_message).toMatch(/SUBSCRIPTION_STATUS_INVALID/);
    expect((await record(other.id)).paused_at).toBeNull();
  }, 90_000);
});
