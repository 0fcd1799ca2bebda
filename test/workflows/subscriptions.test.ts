import type Stripe from 'stripe';
import request from 'supertest';
import { proratedRefundCents } from '../../src/domain/proration';
import { workflowIds } from '../../src/temporal/workflow-ids';
import { startSmtpSink } from '../fakes/smtp-sink';
import { type StripeBilling, startStripeBilling } from '../fakes/stripe-billing';
import { waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';
import { type EventName, stripeWebhook, subscribe as subscribeThrough } from '../helpers/subscription-fixtures';

/**
 * Subscriptions end to end on the real Temporal dev server: the official Stripe SDK against
 * a stateful Stripe Billing fake, and Stripe's events signed with the real scheme into our
 * webhook. Periods are seconds long; the grace window is set per test.
 */
const WEBHOOK_SECRET = 'whsec_subscriptionstest';
let stripe: StripeBilling;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;

beforeAll(async () => {
  stripe = await startStripeBilling();
  smtp = await startSmtpSink();
  h = await startHarness({
    worker: true,
    env: {
      STRIPE_API_BASE: stripe.url,
      SMTP_URL: smtp.url,
      SUBSCRIPTION_ROUNDS_PER_RUN: '4',
      SUBSCRIPTION_CANCEL_CONFIRM_SECONDS: '2',
      SUBSCRIPTION_RENEWAL_CHECK_SECONDS: '1',
      SUBSCRIPTION_RENEWAL_LEEWAY_SECONDS: '3',
    },
  });
  store = await h.createStore();
  await api('put', '/settings/payment-methods/STRIPE', { secret_key: 'sk_live_subscriptions', webhook_secret: WEBHOOK_SECRET }).expect(200);
}, 300_000);
afterAll(async () => {
  await h?.close();
  await stripe?.close();
  await smtp?.close();
});

function api(method: 'get' | 'post' | 'patch' | 'put', path: string, body?: object) {
  // Live keys: settings and subscription changes are live-only writes.
  return request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);
}

const webhook = (event: Stripe.Event) => stripeWebhook(h, store.slug, WEBHOOK_SECRET)(event);

const grace = (seconds: number) => api('put', '/settings/subscriptions', { grace_period_seconds: seconds }).expect(200);
interface SubscriptionBody {
  status: string;
  current_period_end: string;
  ended_at: string | null;
  end_reason: string | null;
  cancellation_in_progress: boolean;
  [field: string]: unknown;
}
const subscription = async (id: number): Promise<SubscriptionBody> => (await api('get', `/subscriptions/${id}`).expect(200)).body.data;
const until = (id: number, done: (s: SubscriptionBody) => boolean, timeoutMs = 30_000) => waitFor(() => subscription(id), done, timeoutMs);
const eventsOf = async (type: string, subscriptionId: number) =>
  (await h.db.selectFrom('events').select('data').where('type', '=', type).where('store_id', '=', store.id).execute()).filter(
    (e) => e.data.id === subscriptionId,
  );
const keysOf = (invoiceId: number) =>
  h.db.selectFrom('license_keys').select(['active', 'expires_at', 'subscription_id']).where('invoice_id', '=', invoiceId).execute();
const periodEnd = (stripeSubscription: string) =>
  new Date(stripe.subscription(stripeSubscription)!.current_period_end * 1000).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

const subscribe = (periodSeconds: number, order?: EventName[]) => subscribeThrough(h, store.live, stripe, webhook, periodSeconds, order);

describe('subscriptions', () => {
  it('opens Checkout in subscription mode with the variant’s interval and metadata that follows every renewal', async () => {
    await grace(60);
    const { stripeId } = await subscribe(3600);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the form body as Stripe received it
    const checkout = stripe.requests.filter((r) => r.path === '/v1/checkout/sessions').at(-1)!.body as Record<string, any>;
    expect(checkout.mode).toBe('subscription');
    expect(checkout.line_items[0].price_data.recurring).toEqual({ interval: 'month', interval_count: '1' });
    expect(checkout.subscription_data.metadata).toEqual({ invoice_id: expect.any(String), store_id: String(store.id) });
    expect(checkout.payment_intent_data).toBeUndefined();
    expect(stripe.subscription(stripeId)!.metadata.store_id).toBe(String(store.id));
  });

  it('renews three times (duplicates and out-of-order events included), continues as new, then expires unpaid and revokes once', async () => {
    await grace(2);
    // The first invoice is paid before Stripe tells us about the checkout: either creates the record.
    const sub = await subscribe(10, ['invoicePaid', 'checkoutCompleted', 'created']);
    let record = await subscription(sub.id);
    expect(record).toMatchObject({
      status: 'ACTIVE',
      provider: 'stripe',
      subscription_id: sub.stripeId,
      customer_email: 'buyer@example.com',
      cancel_at_period_end: false,
      cancellation_in_progress: false,
    });
    expect(record.current_period_end).toBe(periodEnd(sub.stripeId));
    expect((await keysOf(sub.invoiceId))[0]).toMatchObject({ active: true, subscription_id: sub.id });
    expect((await api('get', `/invoices/${sub.invoiceId}`)).body.data.subscription_id).toBe(sub.id);

    // Each renewal starts its period now: the checks between renewals never eat into the last period.
    for (let i = 0; i < 3; i += 1) {
      const renewal = await stripe.renewNow(sub.stripeId);
      await webhook(renewal.events.invoice);
      await webhook(renewal.events.updated);
      await webhook(renewal.events.invoice); // Stripe redelivers
      record = await until(sub.id, (s) => s.current_period_end === periodEnd(sub.stripeId));
      expect(record.status).toBe('ACTIVE');
    }
    const renewed = await eventsOf('subscription.updated', sub.id);
    expect(renewed.filter((e) => e.data.reason === 'renewed')).toHaveLength(3);
    // The spec's name, beside the seed's subscription.updated.
    expect(await eventsOf('subscription.renewed', sub.id)).toHaveLength(3);
    const payments = await h.db.selectFrom('subscription_payments').select('amount_cents').where('subscription_id', '=', sub.id).execute();
    expect(payments.map((p) => p.amount_cents)).toEqual([1500, 1500, 1500, 1500]);
    // A receipt per renewal (not for the first payment, which the delivery e-mail answers), redeliveries or not.
    const receipts = await waitFor(
      async () => smtp.mails.filter((m) => m.raw.includes(`<invoice-${sub.invoiceId}.renewal-receipt-`)),
      (m) => m.length >= 3,
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect(smtp.mails.filter((m) => m.raw.includes(`<invoice-${sub.invoiceId}.renewal-receipt-`))).toHaveLength(3);
    expect(receipts[0]!.to).toEqual(['buyer@example.com']);
    expect(receipts[0]!.raw).toMatch(/receipt for your .* renewal/);
    expect(receipts[0]!.raw).toContain('$15.00');

    // Several rounds per renewal with 4 rounds per run: the workflow has continued as new, state intact.
    // Visibility is eventually consistent, and a fresh run answers queries once it has read the record.
    const listRuns = async () => {
      const statuses: string[] = [];
      for await (const execution of h.temporal.client.workflow.list({ query: `WorkflowId = '${workflowIds.subscription(sub.id)}'` }))
        statuses.push(execution.status.name);
      return statuses;
    };
    const runs = await waitFor(listRuns, (statuses) => statuses.includes('CONTINUED_AS_NEW'));
    expect(runs.filter((s) => s === 'CONTINUED_AS_NEW').length).toBeGreaterThanOrEqual(1);
    const handle = h.temporal.client.workflow.getHandle(workflowIds.subscription(sub.id));
    const state = await waitFor(
      () => handle.query<{ status: string; step: string }>('subscriptionState'),
      (s) => s.status !== 'unknown',
    );
    expect(state).toMatchObject({ status: 'ACTIVE', step: 'wait' });

    // No fourth renewal and none reported failed: after period end + 2 s grace, Stripe is asked
    // (its renewal might be under way) until the 3 s leeway is spent, then access ends.
    record = await until(sub.id, (s) => s.status === 'EXPIRED', 30_000);
    expect(record.end_reason).toBe('unpaid');
    expect(Date.parse(record.ended_at as string)).toBeGreaterThanOrEqual(Date.parse(record.current_period_end as string) + 5000);
    expect(
      stripe.requests.filter((r) => r.method === 'GET' && r.path === `/v1/subscriptions/${sub.stripeId}`).length,
    ).toBeGreaterThanOrEqual(1);
    await waitFor(
      () => keysOf(sub.invoiceId),
      (keys) => keys.every((k) => !k.active),
    );
    expect(await eventsOf('subscription.canceled', sub.id)).toHaveLength(1);
    expect(await eventsOf('subscription.cancelled', sub.id)).toHaveLength(1);
    // Stripe must stop billing it too, and the workflow is done.
    await waitFor(
      async () => stripe.subscription(sub.stripeId)!.status,
      (s) => s === 'canceled',
    );
    await waitFor(
      () =>
        h.temporal.client.workflow
          .getHandle(workflowIds.subscription(sub.id))
          .describe()
          .then((d) => d.status.name),
      (s) => s === 'COMPLETED',
    );

    // A late renewal never resurrects it; it is flagged for a person instead.
    const late = stripe.renew(sub.stripeId);
    await webhook(late.events.invoice);
    expect((await subscription(sub.id)).status).toBe('EXPIRED');
    const flagged = await h.db.selectFrom('events').select('data').where('type', '=', 'delivery.needs_attention').execute();
    expect(flagged.some((e) => e.data.subscription_id === sub.id)).toBe(true);
    expect(await eventsOf('subscription.canceled', sub.id)).toHaveLength(1);
    expect(await eventsOf('subscription.cancelled', sub.id)).toHaveLength(1);
  }, 90_000);

  it('cancels at period end: Stripe is told, access lasts the period, then ends without grace', async () => {
    await grace(60);
    // Long enough that access is still on when checked below, however slow the machine.
    const sub = await subscribe(20);
    const refused = await api('patch', `/subscriptions/${sub.id}/cancel`, { cancel_at_period_end: true, refund_last_payment: true });
    expect(refused.status).toBe(422);
    expect(refused.body.error.param).toBe('refund_last_payment');
    const response = await api('patch', `/subscriptions/${sub.id}/cancel`, { cancel_at_period_end: true }).expect(200);
    expect(response.body.message).toBe('Subscription will be cancelled at the end of the current period.');
    expect(response.body.data).toMatchObject({ id: sub.id, status: 'ACTIVE', cancel_at_period_end: true, cancellation_in_progress: false });
    await waitFor(async () => stripe.subscription(sub.stripeId)!.cancel_at_period_end, Boolean);
    expect((await keysOf(sub.invoiceId))[0]!.active).toBe(true);

    const ended = await until(sub.id, (s) => s.status === 'CANCELED', 60_000);
    expect(ended.end_reason).toBe('canceled_at_period_end');
    expect(Date.parse(ended.ended_at as string)).toBeLessThan(Date.parse(ended.current_period_end as string) + 60_000);
    await waitFor(
      () => keysOf(sub.invoiceId),
      (keys) => keys.every((k) => !k.active),
    );
    await webhook(stripe.deletedEvent(sub.stripeId));
    expect(await eventsOf('subscription.canceled', sub.id)).toHaveLength(1);
    expect(await eventsOf('subscription.cancelled', sub.id)).toHaveLength(1);
    expect((await api('patch', `/subscriptions/${sub.id}/cancel`, { cancel_at_period_end: false })).status).toBe(409);
  }, 90_000);

  it('cancels now with a full refund: revokes at once, refunds exactly once, and the webhook confirms', async () => {
    await grace(60);
    const sub = await subscribe(3600);
    const response = await api('patch', `/subscriptions/${sub.id}/cancel`, {
      cancel_at_period_end: false,
      refund_last_payment: true,
    }).expect(200);
    expect(response.body.data).toMatchObject({ status: 'ACTIVE', cancellation_in_progress: true });
    expect((await api('patch', `/subscriptions/${sub.id}/cancel`, { cancel_at_period_end: false })).body.error.code).toBe(
      'cancellation_in_progress',
    );

    await waitFor(
      async () => stripe.subscription(sub.stripeId)!.status,
      (s) => s === 'canceled',
    );
    await waitFor(
      () => keysOf(sub.invoiceId),
      (keys) => keys.every((k) => !k.active),
    );
    await waitFor(
      async () => stripe.refunds.filter((r) => r.metadata.subscription_id === String(sub.id)),
      (r) => r.length === 1,
    );
    expect(stripe.refunds.filter((r) => r.metadata.subscription_id === String(sub.id)).map((r) => r.amount)).toEqual([1500]);

    await webhook(stripe.deletedEvent(sub.stripeId));
    const ended = await until(sub.id, (s) => s.status === 'CANCELED');
    expect(ended).toMatchObject({ cancellation_in_progress: false, end_reason: 'canceled' });
    // A renewal that arrives after the cancel changes nothing.
    await webhook(stripe.renew(sub.stripeId).events.invoice);
    expect((await subscription(sub.id)).status).toBe('CANCELED');
    expect(stripe.refunds.filter((r) => r.metadata.subscription_id === String(sub.id))).toHaveLength(1);
    const refunded = await eventsOf('order.refunded', sub.invoiceId);
    expect(refunded.filter((e) => e.data.subscription_id === sub.id).map((e) => e.data.amount_refunded)).toEqual([1500]);
  });

  it('cancels now with a pro-rated refund of the unused share, and asks Stripe when no webhook confirms', async () => {
    await grace(60);
    const sub = await subscribe(1000);
    await new Promise((r) => setTimeout(r, 1500));
    await api('patch', `/subscriptions/${sub.id}/cancel`, {
      cancel_at_period_end: false,
      refund_last_payment: true,
      pro_rated_refund: true,
    }).expect(200);
    const row = await h.db.selectFrom('subscriptions').select('cancel_request').where('id', '=', sub.id).executeTakeFirstOrThrow();
    const payment = await h.db
      .selectFrom('subscription_payments')
      .selectAll()
      .where('subscription_id', '=', sub.id)
      .executeTakeFirstOrThrow();
    const expected = proratedRefundCents(1500, payment.period_start, payment.period_end, new Date(row.cancel_request!.requested_at));
    expect(expected).toBeLessThan(1500);
    expect(expected).toBeGreaterThan(1400);

    const refunds = await waitFor(
      async () => stripe.refunds.filter((r) => r.metadata.subscription_id === String(sub.id)),
      (r) => r.length === 1,
    );
    expect(refunds[0]!.amount).toBe(expected);
    // No customer.subscription.deleted is sent: after the 2 s window the workflow asks Stripe.
    const ended = await until(sub.id, (s) => s.status === 'CANCELED', 20_000);
    expect(ended.cancellation_in_progress).toBe(false);
    const paymentAfter = await h.db
      .selectFrom('subscription_payments')
      .select(['refunded_cents', 'provider_refund_id'])
      .where('id', '=', payment.id)
      .executeTakeFirstOrThrow();
    expect(paymentAfter).toEqual({ refunded_cents: expected, provider_refund_id: refunds[0]!.id });
  });

  it('a failed renewal makes it past due and tells the customer and the store once; paying inside the grace window recovers it', async () => {
    await grace(20);
    await api('post', '/notifications', { kind: 'email', to: ['owner@store.test'], events: ['subscription.payment_failed'] }).expect(201);
    const sub = await subscribe(6);
    const failure = stripe.renew(sub.stripeId, 'failed');
    await webhook(failure.events.invoice);
    await webhook(failure.events.updated);
    await webhook(failure.events.invoice);
    await until(sub.id, (s) => s.status === 'PAST_DUE');
    expect(await eventsOf('subscription.payment_failed', sub.id)).toHaveLength(1);
    const mail = await waitFor(
      async () => smtp.mails.filter((m) => m.to.includes('buyer@example.com') && /payment failed/.test(m.raw)),
      (m) => m.length >= 1,
    );
    expect(mail).toHaveLength(1);
    // Through the buyer-e-mail path: once per failure, with the customer portal's page to replace the card.
    expect(mail[0]!.raw).toContain(`<invoice-${sub.invoiceId}.payment-failed-${sub.id}-`);
    expect(mail[0]!.raw.replace(/=\r?\n/g, '')).toContain(`/customer-portal/subscriptions/${sub.id}`);
    const storeMail = await waitFor(
      async () => smtp.mails.filter((m) => m.to.includes('owner@store.test') && m.raw.includes(`id: ${sub.id}`)),
      (m) => m.length >= 1,
    );
    expect(storeMail[0]!.raw).toContain('subscription.payment_failed');
    expect((await keysOf(sub.invoiceId))[0]!.active).toBe(true);

    const recovery = stripe.recover(sub.stripeId);
    await webhook(recovery.events.invoicePaid);
    await webhook(recovery.events.updated);
    const recovered = await until(sub.id, (s) => s.status === 'ACTIVE' && s.current_period_end === periodEnd(sub.stripeId));
    expect(recovered.status).toBe('ACTIVE');
    expect((await keysOf(sub.invoiceId))[0]!.active).toBe(true);
  });

  it('finds a renewal whose webhook never came by asking Stripe at the deadline', async () => {
    await grace(1);
    // Renewed at Stripe before the period (and its grace) ends, however long checkout took.
    const sub = await subscribe(12);
    stripe.renew(sub.stripeId); // paid at Stripe; the events are lost
    const renewed = await until(sub.id, (s) => s.current_period_end === periodEnd(sub.stripeId), 40_000);
    expect(renewed.status).toBe('ACTIVE');
    expect(await h.db.selectFrom('subscription_payments').select('id').where('subscription_id', '=', sub.id).execute()).toHaveLength(2);
    await api('patch', `/subscriptions/${sub.id}/cancel`, { cancel_at_period_end: false }).expect(200);
  }, 90_000);

  it('a failed renewal that is never paid expires after the grace window', async () => {
    await grace(2);
    const sub = await subscribe(6);
    await webhook(stripe.renew(sub.stripeId, 'failed').events.invoice);
    await until(sub.id, (s) => s.status === 'PAST_DUE');
    const expired = await until(sub.id, (s) => s.status === 'EXPIRED', 30_000);
    expect(expired.end_reason).toBe('unpaid');
    await waitFor(
      () => keysOf(sub.invoiceId),
      (keys) => keys.every((k) => !k.active),
    );
    // The license API shows the key expired with its subscription: it neither activates nor validates.
    const [key] = await h.db.selectFrom('license_keys').select(['id', 'key']).where('invoice_id', '=', sub.invoiceId).execute();
    expect((await api('get', `/license-keys/${key!.id}`).expect(200)).body.data).toMatchObject({
      status: 'EXPIRED',
      subscription_id: sub.id,
    });
    expect((await api('post', '/licenses/activate', { license_key: key!.key, instance_name: 'pc' })).status).toBe(409);
    await waitFor(
      async () => stripe.subscription(sub.stripeId)!.status,
      (s) => s === 'canceled',
    );
  });

  it('reconciliation restarts a lost workflow, adopts a cancellation Stripe made, and reports both', async () => {
    await grace(60);
    const lost = await subscribe(3600);
    const handle = h.temporal.client.workflow.getHandle(workflowIds.subscription(lost.id));
    await handle.terminate('simulating a lost workflow');
    const drifted = await subscribe(3600);
    stripe.mutate(drifted.stripeId, { status: 'canceled' });

    const run = (await api('post', '/ops/subscription-reconciliations').expect(200)).body.data;
    expect(run.status).toBe('finished');
    expect(run.checked).toBeGreaterThanOrEqual(2);
    expect(run.repairs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ subscription_id: lost.id, problem: 'missing_workflow', action: 'workflow_started' }),
        expect.objectContaining({ subscription_id: drifted.id, problem: 'provider_canceled', action: 'canceled' }),
      ]),
    );
    await waitFor(
      () => handle.describe().then((d) => d.status.name),
      (s) => s === 'RUNNING',
    );
    const canceled = await until(drifted.id, (s) => s.status === 'CANCELED');
    expect(canceled.end_reason).toBe('canceled_by_provider');
    await waitFor(
      () => keysOf(drifted.invoiceId),
      (keys) => keys.every((k) => !k.active),
    );
    const repaired = await h.db
      .selectFrom('events')
      .select('data')
      .where('type', '=', 'subscription.repaired')
      .where('store_id', '=', store.id)
      .execute();
    expect(repaired.map((e) => e.data.problem)).toEqual(expect.arrayContaining(['missing_workflow', 'provider_canceled']));

    // Run again: nothing left to repair for these two.
    const again = (await api('post', '/ops/subscription-reconciliations').expect(200)).body.data;
    expect(
      again.repairs.filter((r: { subscription_id: number }) => r.subscription_id === lost.id || r.subscription_id === drifted.id),
    ).toEqual([]);
    const listed = (await api('get', '/ops/subscription-reconciliations').expect(200)).body.data;
    expect(listed[0].id).toBe(again.id);
    expect(run.scope).toBe('store');

    // Another store's key runs over its own store only, and never sees this store's runs.
    const other = await h.createStore();
    const asOther = (method: 'get' | 'post', path: string) =>
      request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${other.live}`);
    const theirs = (await asOther('post', '/ops/subscription-reconciliations').expect(200)).body.data;
    expect({ total: theirs.total, checked: theirs.checked, repairs: theirs.repairs, scope: theirs.scope }).toEqual({
      total: 0,
      checked: 0,
      repairs: [],
      scope: 'store',
    });
    const seen = (await asOther('get', '/ops/subscription-reconciliations').expect(200)).body.data;
    expect(seen.map((r: { id: number }) => r.id)).toEqual([theirs.id]);
    expect((await asOther('get', `/ops/subscription-reconciliations/${again.id}`)).status).toBe(404);

    // The daily schedule exists for this task queue.
    const schedule = await h.temporal.client.schedule.getHandle(`subscription-reconciliation-${h.taskQueue}`).describe();
    expect(schedule.action).toMatchObject({ workflowType: 'subscriptionReconciliation' });
  });

  it('one store’s signed events cannot touch another store’s subscription', async () => {
    await grace(60);
    const victim = await subscribe(3600);
    const attacker = await h.createStore();
    await request(h.app)
      .put('/api/v2/settings/payment-methods/STRIPE')
      .set('Authorization', `Bearer ${attacker.live}`)
      .send({ secret_key: 'sk_live_attacker', webhook_secret: 'whsec_attacker' })
      .expect(200);
    const forged = stripe.renew(victim.stripeId, 'failed').events.invoice as unknown as {
      data: { object: { parent: { subscription_details: { subscription: string; metadata: Record<string, string> } } } };
    };
    forged.data.object.parent.subscription_details = {
      subscription: 'sub_forged',
      metadata: { invoice_id: String(victim.invoiceId), store_id: String(attacker.id) },
    };
    const response = await stripeWebhook(h, attacker.slug, 'whsec_attacker')(forged as unknown as Stripe.Event);
    expect(response.body.subscription_id).toBeNull();
    expect((await subscription(victim.id)).status).toBe('ACTIVE');
  });

  it('lists and retrieves only this store’s subscriptions, and validates the cancel body', async () => {
    const other = await h.createStore();
    const foreign = await request(h.app).get('/api/v2/subscriptions').set('Authorization', `Bearer ${other.test}`).expect(200);
    expect(foreign.body.data).toEqual([]);
    const mine = (await api('get', '/subscriptions?status=CANCELED').expect(200)).body;
    expect(mine.data.length).toBeGreaterThan(0);
    expect(mine.data.every((s: { status: string }) => s.status === 'CANCELED')).toBe(true);
    const id = mine.data[0].id;
    expect((await request(h.app).get(`/api/v2/subscriptions/${id}`).set('Authorization', `Bearer ${other.test}`)).status).toBe(404);
    const missing = await api('patch', `/subscriptions/${id}/cancel`, {});
    expect(missing.status).toBe(422);
    expect((await api('patch', `/subscriptions/${id}/cancel`, { cancel_at_period_end: 'yes' })).status).toBe(422);
    expect((await api('get', '/subscriptions/999999')).status).toBe(404);

    // Search: the same rows through the generic search body, this store's and mode's only.
    const searched = (
      await api('post', '/subscriptions/search', { filters: [{ field: 'status', operator: '=', value: 'CANCELED' }] }).expect(200)
    ).body;
    expect(searched.data.map((s: { id: number }) => s.id).sort()).toEqual(mine.data.map((s: { id: number }) => s.id).sort());
    const foreignSearch = await request(h.app)
      .post('/api/v2/subscriptions/search')
      .set('Authorization', `Bearer ${other.test}`)
      .send({ filters: [{ field: 'status', operator: '=', value: 'CANCELED' }] })
      .expect(200);
    expect(foreignSearch.body.data).toEqual([]);
    expect(
      (await api('post', '/subscriptions/search', { filters: [{ field: 'provider_customer_id', operator: '=', value: 'x' }] })).status,
    ).toBe(422);
  });
});
