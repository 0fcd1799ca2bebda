import type Stripe from 'stripe';
import request from 'supertest';
import { type StripeBilling, startStripeBilling } from '../fakes/stripe-billing';
import { waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';
import { stripeWebhook, subscribe as subscribeThrough } from '../helpers/subscription-fixtures';

/**
 * A subscription's order whose money went back for good (issue 20 item 2): refunded through the
 * refund route and its workflow, or a dispute Stripe reports lost. The order's consequences run,
 * and among them the subscription ends (endSubscriptionOfUndoneSale): Stripe bills it no more,
 * with no second refund. On the real dev server against the Stripe Billing fake.
 */
const WEBHOOK_SECRET = 'whsec_subscriptionundone';
let stripe: StripeBilling;
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;

beforeAll(async () => {
  stripe = await startStripeBilling();
  h = await startHarness({ worker: true, env: { STRIPE_API_BASE: stripe.url, SUBSCRIPTION_CANCEL_CONFIRM_SECONDS: '1' } });
  store = await h.createStore();
  await api('put', '/settings/payment-methods/STRIPE', { secret_key: 'sk_live_undone', webhook_secret: WEBHOOK_SECRET }).expect(200);
}, 300_000);
afterAll(async () => {
  await h?.close();
  await stripe?.close();
});

function api(method: 'get' | 'post' | 'put', path: string, body?: object) {
  return request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);
}
const webhook = (event: object) => stripeWebhook(h, store.slug, WEBHOOK_SECRET)(event as Stripe.Event);
const subscribe = (email: string) => subscribeThrough(h, store.live, stripe, webhook, 3600, undefined, email);
const record = (id: number) => h.db.selectFrom('subscriptions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const statusOf = async (id: number) => (await api('get', `/invoices/${id}`).expect(200)).body.data.status.status.status as string;
const activeKeys = async (invoiceId: number) =>
  (await h.db.selectFrom('license_keys').select('active').where('invoice_id', '=', invoiceId).execute()).filter((k) => k.active).length;
/** Stripe ended the subscription (we asked it once) and we recorded it ended. */
async function expectEnded(sub: { id: number; stripeId: string }) {
  await waitFor(
    () => record(sub.id),
    (r) => r.status === 'CANCELED' && r.cancel_request_sent_at !== null,
    30_000,
  );
  expect(stripe.subscription(sub.stripeId)!.status).toBe('canceled');
  const cancels = stripe.requests.filter((r) => r.method === 'DELETE' && r.path === `/v1/subscriptions/${sub.stripeId}`);
  expect(new Set(cancels.map((r) => r.idempotencyKey)).size).toBe(1);
  // The cancellation refunds nothing more: the money is already on its way back.
  expect(stripe.refunds.filter((r) => r.metadata.subscription_id === String(sub.id))).toEqual([]);
}
/** The PaymentIntent that paid the subscription's first Stripe invoice (what a dispute names). */
async function firstPaymentIntent(stripeId: string): Promise<string> {
  const first = stripe.invoicesOf(stripeId)[0]!;
  const payments = (await (await fetch(`${stripe.url}/v1/invoice_payments?invoice=${first.id}`)).json()) as {
    data: { payment: { payment_intent: string } }[];
  };
  return payments.data[0]!.payment.payment_intent;
}

describe('a subscription whose sale is undone', () => {
  it('ends when its order is refunded through the refund route and workflow', async () => {
    const sub = await subscribe('refunded-sub@e.co');
    expect(await activeKeys(sub.invoiceId)).toBe(1);
    const refund = (await api('post', `/orders/${sub.invoiceId}/refunds`, { reason: 'customer asked' }).expect(200)).body.data.refund;
    const done = await waitFor(
      () => h.db.selectFrom('refunds').selectAll().where('id', '=', refund.id).executeTakeFirstOrThrow(),
      (r) => r.consequences_at !== null || r.status === 'failed',
      30_000,
    );
    expect(done).toMatchObject({ status: 'succeeded', amount_cents: 1500 });
    expect(stripe.refunds.filter((r) => r.id === done.provider_refund_id).map((r) => r.amount)).toEqual([1500]);
    expect(await statusOf(sub.invoiceId)).toBe('REFUNDED');
    expect(await activeKeys(sub.invoiceId)).toBe(0);
    await expectEnded(sub);
    expect(stripe.refunds.filter((r) => r.metadata.invoice_id === String(sub.invoiceId))).toHaveLength(1);
  }, 90_000);

  it('ends when Stripe reports a dispute of its first payment lost, not while the dispute is open', async () => {
    const sub = await subscribe('disputed-sub@e.co');
    const paymentIntent = await firstPaymentIntent(sub.stripeId);
    const dispute = (type: string, status: string) => ({
      id: `evt_${type}_${status}_${sub.id}`,
      object: 'event',
      type,
      livemode: true,
      created: Math.floor(Date.now() / 1000),
      data: {
        object: {
          id: `dp_sub_${sub.id}`,
          object: 'dispute',
          amount: 1500,
          currency: 'usd',
          status,
          reason: 'fraudulent',
          payment_intent: paymentIntent,
          metadata: {},
        },
      },
    });
    await webhook(dispute('charge.dispute.created', 'needs_response'));
    expect(await statusOf(sub.invoiceId)).toBe('DISPUTING');
    // An open dispute may still be won: the subscription goes on.
    expect(await record(sub.id)).toMatchObject({ status: 'ACTIVE', cancellation_in_progress: false });

    await webhook(dispute('charge.dispute.closed', 'lost'));
    expect(await statusOf(sub.invoiceId)).toBe('REVERSED');
    expect(await activeKeys(sub.invoiceId)).toBe(0);
    await expectEnded(sub);
  }, 90_000);

  it('goes on when Stripe reports a dispute of a renewal lost: the dispute is recorded on the order, which keeps its status', async () => {
    const sub = await subscribe('disputed-renewal@e.co');
    const renewal = stripe.renew(sub.stripeId);
    await webhook(renewal.events.invoice);
    await waitFor(
      () => h.db.selectFrom('subscription_payments').select('id').where('subscription_id', '=', sub.id).execute(),
      (p) => p.length === 2,
    );
    const payments = (await (await fetch(`${stripe.url}/v1/invoice_payments?invoice=${renewal.invoiceId}`)).json()) as {
      data: { payment: { payment_intent: string } }[];
    };
    const dispute = (type: string, status: string) => ({
      id: `evt_${type}_${status}_renewal_${sub.id}`,
      object: 'event',
      type,
      livemode: true,
      created: Math.floor(Date.now() / 1000),
      data: {
        object: {
          id: `dp_renewal_${sub.id}`,
          object: 'dispute',
          amount: 1500,
          currency: 'usd',
          status,
          reason: 'fraudulent',
          payment_intent: payments.data[0]!.payment.payment_intent,
          metadata: {},
        },
      },
    });
    const opened = await webhook(dispute('charge.dispute.created', 'needs_response'));
    expect(opened.body).toMatchObject({ outcome: 'disputed', invoice_id: sub.invoiceId });
    await webhook(dispute('charge.dispute.closed', 'lost'));
    const rows = await h.db
      .selectFrom('disputes')
      .select(['invoice_id', 'status'])
      .where('provider_dispute_id', '=', `dp_renewal_${sub.id}`)
      .execute();
    expect(rows).toEqual([{ invoice_id: sub.invoiceId, status: 'lost' }]);
    const disputed = (await h.db.selectFrom('events').select('data').where('type', '=', 'order.disputed').orderBy('created_at').execute())
      .map((e) => e.data)
      .filter((d) => d.id === sub.invoiceId);
    expect(disputed.map((d) => [d.subscription_id, d.dispute_status])).toEqual([
      [sub.id, 'open'],
      [sub.id, 'lost'],
    ]);
    expect(await statusOf(sub.invoiceId)).toBe('COMPLETED');
    expect(await activeKeys(sub.invoiceId)).toBe(1);
    expect(await record(sub.id)).toMatchObject({ status: 'ACTIVE', cancellation_in_progress: false });
  }, 90_000);
});
