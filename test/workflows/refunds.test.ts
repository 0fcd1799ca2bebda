import type Stripe from 'stripe';
import request from 'supertest';
import { orderStateQuery } from '../../src/temporal/contracts/order';
import { workflowIds } from '../../src/temporal/workflow-ids';
import { startSellerEndpoint } from '../fakes/seller-endpoint';
import { type StripeBilling, startStripeBilling } from '../fakes/stripe-billing';
import { applyDispute } from '../../src/disputes/apply-dispute';
import { appendSerials } from '../../src/catalog/serial-stock';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';
import { stripeWebhook } from '../helpers/subscription-fixtures';
import * as m from '../fixtures/sellapp-official/models';

/**
 * Refunds and disputes end to end on the real Temporal dev server: POST …/refunds records the
 * refund and its `refund` workflow asks the Stripe fake (the official SDK, its idempotency keys)
 * or marks it for the seller to pay by hand, then takes back what the refund covers.
 */
const WEBHOOK_SECRET = 'whsec_refundstest';
let stripe: StripeBilling;
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;

beforeAll(async () => {
  stripe = await startStripeBilling();
  h = await startHarness({ worker: true, env: { STRIPE_API_BASE: stripe.url } });
  store = await h.createStore();
  await api('put', '/settings/payment-methods/STRIPE', { secret_key: 'sk_live_refunds', webhook_secret: WEBHOOK_SECRET }).expect(200);
}, 300_000);
afterAll(async () => {
  await h?.close();
  await stripe?.close();
});

function api(method: 'get' | 'post' | 'put' | 'patch', path: string, body?: object, headers: Record<string, string> = {}) {
  const call = request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`);
  for (const [name, value] of Object.entries(headers)) call.set(name, value);
  return body === undefined ? call : call.send(body);
}
const webhook = (event: object) => stripeWebhook(h, store.slug, WEBHOOK_SECRET)(event as Stripe.Event);

const licensed = (prefix: string, price: number) =>
  createVariant(h, store.live, {
    deliverable: { types: ['LICENSE_KEY'], data: { license_key: { prefix, limit: 2, expires_in_days: null } } },
    price,
  });

const statusOf = async (id: number) => (await api('get', `/invoices/${id}`).expect(200)).body.data.status.status.status as string;
const untilStatus = (id: number, status: string) =>
  waitFor(
    () => statusOf(id),
    (s) => s === status,
  );

/** A Stripe order of the given variants, paid through Checkout and delivered. */
async function paidStripeOrder(variantIds: number[]): Promise<{ id: number; paymentIntent: string }> {
  const product_variants = Object.fromEntries(variantIds.map((v) => [v, { quantity: 1 }]));
  const created = await api('post', '/invoices', { customer_email: 'buyer@e.co', payment_method: 'STRIPE', product_variants }).expect(201);
  const id = created.body.data.id as number;
  const checkout = await api('post', `/invoices/${id}/checkout`).expect(200);
  const { paymentIntent, event } = stripe.payCheckout(checkout.body.invoice.payment.gateway.data.session_id);
  await webhook(event);
  await untilStatus(id, 'COMPLETED');
  return { id, paymentIntent };
}

/**
 * A Stripe order of one dynamic item whose seller refuses the first call (a 4xx is final): paid,
 * it waits for ops on the failed step. The seller answers `later` from then on.
 */
async function stuckStripeOrder(later = 'GOODS') {
  const seller = await startSellerEndpoint([
    { status: 400, body: 'not today' },
    { status: 200, body: later },
  ]);
  await h.db.updateTable('stores').set({ allow_http_webhooks: true }).where('id', '=', store.id).execute();
  const { variantId } = await createVariant(h, store.live, {
    deliverable: { types: ['DYNAMIC'], data: { webhook: seller.url } },
    price: 1200,
  });
  const created = await api('post', '/invoices', {
    customer_email: 'stuck@e.co',
    payment_method: 'STRIPE',
    product_variants: { [variantId]: { quantity: 1 } },
  }).expect(201);
  const id = created.body.data.id as number;
  const checkout = await api('post', `/invoices/${id}/checkout`).expect(200);
  const { paymentIntent, event } = stripe.payCheckout(checkout.body.invoice.payment.gateway.data.session_id);
  await webhook(event);
  await untilFlagged(id, true);
  expect(seller.received).toHaveLength(1);
  return { id, paymentIntent, seller };
}
const untilFlagged = (id: number, flagged: boolean) =>
  waitFor(
    () => api('get', `/invoices/${id}`).then((r) => r.body.data),
    (b) => b.delivery.needs_attention === flagged,
  );
const orderWorkflow = (id: number) => h.temporal.client.workflow.getHandle(workflowIds.order(id));
const refusal = (res: request.Response) => [res.status, res.body.error?.code];

const refundRow = (id: number) => h.db.selectFrom('refunds').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const settled = (id: number) =>
  waitFor(
    () => refundRow(id),
    (r) => r.consequences_at !== null || r.status === 'failed',
  );
const activeKeys = async (invoiceId: number) =>
  (await h.db.selectFrom('license_keys').select(['variant_id', 'active']).where('invoice_id', '=', invoiceId).execute())
    .filter((k) => k.active)
    .map((k) => k.variant_id);
const refundEvents = async (invoiceId: number) =>
  (await h.db.selectFrom('events').select('data').where('type', '=', 'order.refunded').orderBy('created_at').execute())
    .map((e) => e.data as Record<string, unknown>)
    .filter((d) => d.id === invoiceId);
/** When the order was completed (completed_at) and how many order.completed events say so. */
const completion = async (invoiceId: number) => {
  const { completed_at } = await h.db.selectFrom('invoices').select('completed_at').where('id', '=', invoiceId).executeTakeFirstOrThrow();
  const events = (await h.db.selectFrom('events').select('data').where('type', '=', 'order.completed').execute()).filter(
    (e) => (e.data as { id?: number }).id === invoiceId,
  ).length;
  return { completedAt: completed_at, events };
};
const stripeRefundsOf = (paymentIntent: string) => stripe.refunds.filter((r) => r.payment_intent === paymentIntent);

describe('refunds', () => {
  it('refunds a Stripe order in full once, through the workflow, and takes the goods back; a repeated POST is the same refund', async () => {
    const { variantId } = await licensed('FULL', 1999);
    const order = await paidStripeOrder([variantId]);
    expect(await activeKeys(order.id)).toEqual([variantId]);

    const key = { 'Idempotency-Key': `refund-${order.id}` };
    const response = await api('post', `/orders/${order.id}/refunds`, { reason: 'customer asked' }, key).expect(200);
    expect(m.orderRefund.safeParse(response.body).error).toBeUndefined();
    const refund = response.body.data.refund;
    expect(refund).toMatchObject({ status: 'pending', provider: 'stripe', amount_cents: 1999, currency: 'USD', manual: false });

    const done = await settled(refund.id);
    expect(done).toMatchObject({ status: 'succeeded', amount_cents: 1999 });
    expect(stripeRefundsOf(order.paymentIntent).map((r) => r.amount)).toEqual([1999]);
    expect(done.provider_refund_id).toBe(stripeRefundsOf(order.paymentIntent)[0]!.id);
    const calls = stripe.requests.filter((r) => r.path === '/v1/refunds' && r.body.payment_intent === order.paymentIntent);
    expect(calls.map((c) => c.idempotencyKey)).toEqual([`sellflow-refund-${store.id}-${refund.id}`]);
    expect(await statusOf(order.id)).toBe('REFUNDED');
    expect(await activeKeys(order.id)).toEqual([]);
    expect(await refundEvents(order.id)).toEqual([
      expect.objectContaining({ refund_id: refund.id, partial: false, amount: 1999, amount_refunded: 1999, currency: 'USD' }),
    ]);
    const workflow = await h.temporal.client.workflow.getHandle(workflowIds.refund(refund.id)).result();
    expect(workflow).toBe('succeeded');

    // The client retries the POST: the same refund answers, nothing new is asked of Stripe.
    const again = await api('post', `/orders/${order.id}/refunds`, { reason: 'customer asked' }, key).expect(200);
    expect(again.body.data.refund.id).toBe(refund.id);
    expect(await h.db.selectFrom('refunds').select('id').where('invoice_id', '=', order.id).execute()).toHaveLength(1);
    // Stripe reports the refund it made: ours already, so nothing happens twice.
    const charge = {
      id: 'ch_full',
      object: 'charge',
      refunded: true,
      amount_refunded: 1999,
      currency: 'usd',
      payment_intent: order.paymentIntent,
    };
    await webhook({
      id: `evt_refunded_${order.id}`,
      object: 'event',
      type: 'charge.refunded',
      livemode: true,
      created: 1,
      data: { object: charge },
    });
    expect(await refundEvents(order.id)).toHaveLength(1);
    // Nothing is left to refund.
    const more = await api('post', `/orders/${order.id}/refunds`, {});
    expect([more.status, more.body.error?.code]).toEqual([409, 'invalid_status']);
    expect(stripeRefundsOf(order.paymentIntent)).toHaveLength(1);
  });

  it('a gateway call retried after a lost reply refunds once: Stripe sees one refund under one idempotency key', async () => {
    const { variantId } = await licensed('SLOW', 1500);
    const order = await paidStripeOrder([variantId]);
    // Stripe refunds at once but the reply outlasts the activity's 10 s: the activity is retried.
    stripe.slowReplies('/v1/refunds', 15_000);
    const refund = (await api('post', `/invoices/${order.id}/refunds`, {}).expect(200)).body.data.refund;
    await waitFor(
      async () => stripe.requests.filter((r) => r.path === '/v1/refunds' && r.body.payment_intent === order.paymentIntent),
      (calls) => calls.length >= 1,
    );
    stripe.slowReplies('/v1/refunds', 0);
    const done = await settled(refund.id);
    expect(done.status).toBe('succeeded');
    const calls = stripe.requests.filter((r) => r.path === '/v1/refunds' && r.body.payment_intent === order.paymentIntent);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(new Set(calls.map((c) => c.idempotencyKey))).toEqual(new Set([`sellflow-refund-${store.id}-${refund.id}`]));
    expect(stripeRefundsOf(order.paymentIntent).map((r) => r.amount)).toEqual([1500]);
    const history = await h.temporal.client.workflow.getHandle(workflowIds.refund(refund.id)).fetchHistory();
    const attempts = history.events?.find((e) => e.activityTaskStartedEventAttributes)?.activityTaskStartedEventAttributes?.attempt;
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(await statusOf(order.id)).toBe('REFUNDED');
  }, 90_000);

  it('a partial refund by amount keeps the goods; by line item takes that line’s goods; never more than was paid (422)', async () => {
    const first = await licensed('LINEA', 1000);
    const second = await licensed('LINEB', 3000);
    const order = await paidStripeOrder([first.variantId, second.variantId]);
    const lines = await h.db.selectFrom('invoice_lines').select(['id', 'variant_id']).where('invoice_id', '=', order.id).execute();
    const lineOf = (variantId: number) => lines.find((l) => l.variant_id === variantId)!.id;

    const byAmount = (await api('post', `/orders/${order.id}/refunds`, { amount: '5.00' }).expect(200)).body.data.refund;
    expect((await settled(byAmount.id)).amount_cents).toBe(500);
    expect(await statusOf(order.id)).toBe('COMPLETED');
    expect((await activeKeys(order.id)).sort()).toEqual([first.variantId, second.variantId].sort());

    const byLine = await api('post', `/orders/${order.id}/refunds`, {
      line_items: [lineOf(first.variantId)],
      reason: 'wrong edition',
    }).expect(200);
    expect(byLine.body.data.refund.amount_cents).toBe(1000);
    await settled(byLine.body.data.refund.id);
    expect(await activeKeys(order.id)).toEqual([second.variantId]);
    expect(await statusOf(order.id)).toBe('COMPLETED');
    const view = (await api('get', `/refunds/${byLine.body.data.refund.id}`).expect(200)).body.data;
    expect(m.refund.safeParse(view).error).toBeUndefined();
    expect(view).toMatchObject({ refundable: { type: 'order', id: order.id }, line_items: [lineOf(first.variantId)], status: 'effective' });
    // The line taken back reads REFUNDED in the order, its line items and the line-item list; the other stays with the order.
    const orderView = (await api('get', `/orders/${order.id}`).expect(200)).body;
    expect(m.one(m.order).safeParse(orderView).error).toBeUndefined();
    const statusById = (items: { id: number; status: string }[]) => Object.fromEntries(items.map((l) => [l.id, l.status]));
    const expected = { [lineOf(first.variantId)]: 'REFUNDED', [lineOf(second.variantId)]: 'COMPLETED' };
    expect(statusById(orderView.data.line_items)).toEqual(expected);
    const orderLines = (await api('get', `/orders/${order.id}/line-items`).expect(200)).body;
    expect(m.page(m.lineItem).safeParse(orderLines).error).toBeUndefined();
    expect(statusById(orderLines.data)).toEqual(expected);
    const one = (await api('get', `/line-items/${lineOf(first.variantId)}`).expect(200)).body;
    expect(m.one(m.lineItem).safeParse(one).error).toBeUndefined();
    expect(one.data).toMatchObject({ status: 'REFUNDED', order: { id: order.id, status: 'COMPLETED' } });

    const again = await api('post', `/orders/${order.id}/refunds`, { line_items: [lineOf(first.variantId)] });
    expect([again.status, again.body.error?.code]).toEqual([422, 'line_item_already_refunded']);
    const tooMuch = await api('post', `/orders/${order.id}/refunds`, { amount: '25.01' });
    expect([tooMuch.status, tooMuch.body.error?.code]).toEqual([422, 'amount_exceeds_refundable']);
    const bad = await api('post', `/orders/${order.id}/refunds`, { amount: '1.234' });
    expect([bad.status, bad.body.error?.code]).toEqual([422, 'invalid_amount']);
    expect(stripeRefundsOf(order.paymentIntent).map((r) => r.amount)).toEqual([500, 1000]);

    // The rest: the order's money is all back, so it is REFUNDED and every key stops.
    const rest = (await api('post', `/orders/${order.id}/refunds`, {}).expect(200)).body.data.refund;
    expect(rest.amount_cents).toBe(2500);
    await settled(rest.id);
    expect(await statusOf(order.id)).toBe('REFUNDED');
    expect(await activeKeys(order.id)).toEqual([]);
    expect((await refundEvents(order.id)).map((e) => [e.partial, e.amount, e.amount_refunded])).toEqual([
      [true, 500, 500],
      [true, 1000, 1500],
      [false, 2500, 4000],
    ]);
  });

  it('a manual-method order is refunded by hand: recorded and marked manual, its consequences run, Stripe is never asked', async () => {
    const { variantId } = await licensed('MANUAL', 800);
    const created = await api('post', '/invoices', {
      customer_email: 'cash@e.co',
      payment_method: 'PAYPAL',
      product_variants: { [variantId]: { quantity: 1 } },
    }).expect(201);
    const id = created.body.data.id as number;
    await api('patch', `/invoices/${id}/mark-completed`).expect(200);
    await untilStatus(id, 'COMPLETED');
    const before = stripe.requests.length;
    const refund = (await api('post', `/orders/${id}/refunds`, {}).expect(200)).body.data.refund;
    const done = await settled(refund.id);
    expect(done).toMatchObject({ status: 'manual', manual: true, provider: 'manual', amount_cents: 800 });
    expect(stripe.requests.slice(before).filter((r) => r.path === '/v1/refunds')).toEqual([]);
    expect(await statusOf(id)).toBe('REFUNDED');
    expect(await activeKeys(id)).toEqual([]);
    const listed = (await api('get', '/refunds').expect(200)).body;
    expect(m.page(m.refund).safeParse(listed).error).toBeUndefined();
    // Paid out by hand, it has taken effect in the spec's words; `manual` says who pays.
    expect(listed.data.find((r: { id: number }) => r.id === refund.id)).toMatchObject({ status: 'effective', manual: true });
  });

  it('a refund of an order stuck on a failed step ends its delivery: unflagged, never completed, a retry refused (409 refunded)', async () => {
    const seller = await startSellerEndpoint([
      { status: 400, body: 'not today' },
      { status: 200, body: 'GOODS-AFTER-REFUND' },
    ]);
    await h.db.updateTable('stores').set({ allow_http_webhooks: true }).where('id', '=', store.id).execute();
    const { variantId } = await createVariant(h, store.live, {
      deliverable: { types: ['DYNAMIC'], data: { webhook: seller.url } },
      price: 900,
    });
    const created = await api('post', '/invoices', {
      customer_email: 'r@e.co',
      payment_method: 'PAYPAL',
      product_variants: { [variantId]: { quantity: 1 } },
    });
    const id = created.body.data.id as number;
    await api('patch', `/invoices/${id}/mark-completed`).expect(200);
    await untilFlagged(id, true);
    expect(seller.received).toHaveLength(1);

    const refund = (await api('post', `/orders/${id}/refunds`, {}).expect(200)).body.data.refund;
    await settled(refund.id);
    expect(await statusOf(id)).toBe('REFUNDED');
    // The outbox tells the order: its delivery ends without completing the order, and ops are no longer asked.
    expect(await orderWorkflow(id).result()).toEqual({ invoiceId: id, outcome: 'refunded' });
    await untilFlagged(id, false);
    expect(refusal(await api('post', `/orders/${id}/fulfillment-retries`, {}))).toEqual([409, 'refunded']);
    expect(seller.received).toHaveLength(1);
    expect(await statusOf(id)).toBe('REFUNDED');
    const completed = await h.db.selectFrom('events').select('data').where('type', '=', 'order.completed').execute();
    expect(completed.filter((e) => (e.data as { id: number }).id === id)).toEqual([]);
    await seller.close();
  });

  it('a line refund still asking the gateway holds that line’s delivery retry; refused by the gateway, the line is delivered after all', async () => {
    const order = await stuckStripeOrder('GOODS-AFTER-REFUSED-REFUND');
    const line = await h.db.selectFrom('invoice_lines').select('id').where('invoice_id', '=', order.id).executeTakeFirstOrThrow();
    // Stripe is down: the refund stays pending, its workflow retrying.
    stripe.failRequests('/v1/refunds', { status: 500 }, 1000);
    const refund = (await api('post', `/orders/${order.id}/refunds`, { line_items: [line.id] }).expect(200)).body.data.refund;
    const refundCalls = () => stripe.requests.filter((r) => r.path === '/v1/refunds' && r.body.payment_intent === order.paymentIntent);
    await waitFor(
      async () => refundCalls(),
      (calls) => calls.length >= 1,
    );
    // Ops retry meanwhile: the step waits for the refund instead of delivering (or giving up on) the goods.
    expect((await api('post', `/orders/${order.id}/fulfillment-retries`, {})).status).toBe(200);
    // Its attempts all meet the pending refund: the step fails again, saying why, and nothing was handed over.
    await untilFlagged(order.id, true);
    const held = await h.db
      .selectFrom('delivery_steps')
      .select(['status', 'reason'])
      .where('invoice_id', '=', order.id)
      .executeTakeFirstOrThrow();
    expect(held).toEqual({ status: 'failed', reason: expect.stringContaining(`refund ${refund.id} of this line is still pending`) });
    expect(order.seller.received).toHaveLength(1);
    expect((await refundRow(refund.id)).status).toBe('pending');
    // Stripe then refuses the refund for good: nothing was taken back, so the line is delivered on the next retry.
    stripe.clearFailures();
    stripe.failRequests('/v1/refunds', {
      status: 400,
      body: { error: { type: 'invalid_request_error', code: 'charge_disputed', message: 'The charge is disputed.' } },
    });
    expect((await settled(refund.id)).status).toBe('failed');
    expect((await api('post', `/orders/${order.id}/fulfillment-retries`, {})).status).toBe(200);
    await untilStatus(order.id, 'COMPLETED');
    const step = await h.db.selectFrom('delivery_steps').select(['status']).where('invoice_id', '=', order.id).executeTakeFirstOrThrow();
    expect(step.status).toBe('delivered');
    expect(order.seller.received).toHaveLength(2);
    expect(await orderWorkflow(order.id).result()).toEqual({ invoiceId: order.id, outcome: 'completed' });
    await order.seller.close();
  }, 90_000);

  it('refuses unpaid orders (409), unknown ones (404) and another store’s', async () => {
    const { variantId } = await licensed('UNPAID', 500);
    const created = await api('post', '/invoices', {
      customer_email: 'u@e.co',
      payment_method: 'STRIPE',
      product_variants: { [variantId]: { quantity: 1 } },
    });
    const unpaid = await api('post', `/orders/${created.body.data.id}/refunds`, {});
    expect([unpaid.status, unpaid.body.error?.code]).toEqual([409, 'invalid_status']);
    expect((await api('post', '/orders/999999/refunds', {})).status).toBe(404);
    expect((await api('get', '/refunds/999999')).status).toBe(404);
    const other = await h.createStore();
    const foreign = await request(h.app)
      .post(`/api/v2/orders/${created.body.data.id}/refunds`)
      .set('Authorization', `Bearer ${other.live}`)
      .send({});
    expect(foreign.status).toBe(404);
  });
});

const eventsOf = async (type: string, invoiceId: number) =>
  (await h.db.selectFrom('events').select('data').where('type', '=', type).orderBy('created_at').execute())
    .map((e) => e.data as Record<string, unknown>)
    .filter((d) => d.id === invoiceId);
const workflowOutcome = (refundId: number) => h.temporal.client.workflow.getHandle(workflowIds.refund(refundId)).result();

it('a charge is no order: its refund through the order and invoice routes is the same 404 as GET /orders/{id}', async () => {
  const created = await api('post', '/charges', {
    email: 'charged@e.co',
    return_url: 'https://shop.example/r',
    currency: 'USD',
    total: 900,
    payment_method: 'PAYPAL',
  }).expect(201);
  const chargeId = created.body.data.id as number;
  await api('put', `/charges/${chargeId}/completed`).expect(200);
  const order = await api('get', `/orders/${chargeId}`);
  expect(order.status).toBe(404);
  expect(order.body.error).toMatchObject({ type: 'not_found', code: expect.any(String) });
  for (const path of [`/orders/${chargeId}/refunds`, `/invoices/${chargeId}/refunds`]) {
    const refused = await api('post', path, {});
    expect({ status: refused.status, error: refused.body.error }).toEqual({ status: 404, error: order.body.error });
  }
  expect(await h.db.selectFrom('refunds').select('id').where('invoice_id', '=', chargeId).execute()).toEqual([]);
});

describe('refunds Stripe makes later, or refuses', () => {
  afterEach(() => {
    stripe.answerRefunds('succeeded');
    stripe.clearFailures();
  });

  it('a refund Stripe answers pending waits: its consequences run once when charge.refund.updated says succeeded', async () => {
    const { variantId } = await licensed('LATER', 1200);
    const order = await paidStripeOrder([variantId]);
    stripe.answerRefunds('pending');
    const refund = (await api('post', `/orders/${order.id}/refunds`, { reason: 'bank transfer' }).expect(200)).body.data.refund;
    expect(await workflowOutcome(refund.id)).toBe('pending');
    const stripeRefund = stripeRefundsOf(order.paymentIntent)[0]!;
    // Recorded pending with Stripe's id; nothing is taken back yet.
    expect(await refundRow(refund.id)).toMatchObject({ status: 'pending', provider_refund_id: stripeRefund.id, consequences_at: null });
    expect((await api('get', `/refunds/${refund.id}`).expect(200)).body.data.status).toBe('pending');
    expect(await activeKeys(order.id)).toEqual([variantId]);
    expect(await statusOf(order.id)).toBe('COMPLETED');
    expect(await refundEvents(order.id)).toEqual([]);
    // Money on its way counts: nothing more can be refunded meanwhile.
    const more = await api('post', `/orders/${order.id}/refunds`, {});
    expect([more.status, more.body.error?.code]).toEqual([422, 'nothing_to_refund']);

    const succeeded = stripe.settleRefund(stripeRefund.id, 'succeeded');
    const first = await webhook(succeeded);
    expect(first.body).toMatchObject({ outcome: 'refunded', invoice_id: order.id, duplicate: false });
    // Redelivered, and the same news under Stripe's other event name: nothing happens twice.
    expect((await webhook(succeeded)).body).toMatchObject({ duplicate: true });
    const again = await webhook({ ...succeeded, id: `${succeeded.id}_refund_updated`, type: 'refund.updated' });
    expect(again.body).toMatchObject({ outcome: 'ignored', duplicate: false });

    expect(await refundRow(refund.id)).toMatchObject({ status: 'succeeded', provider_refund_id: stripeRefund.id });
    expect((await refundRow(refund.id)).consequences_at).not.toBeNull();
    expect(await statusOf(order.id)).toBe('REFUNDED');
    expect(await activeKeys(order.id)).toEqual([]);
    expect(await refundEvents(order.id)).toEqual([
      expect.objectContaining({ refund_id: refund.id, partial: false, amount: 1200, amount_refunded: 1200 }),
    ]);
    expect(await eventsOf('order.refund_failed', order.id)).toEqual([]);
    expect(stripeRefundsOf(order.paymentIntent)).toHaveLength(1);
  });

  it('Stripe’s succeeded arriving before its pending reply reaches the activity settles the refund once', async () => {
    const { variantId } = await licensed('RACE', 1100);
    const order = await paidStripeOrder([variantId]);
    stripe.answerRefunds('pending');
    let release!: () => void;
    stripe.holdReplies('/v1/refunds', new Promise<void>((resolve) => (release = resolve)), 'POST');
    try {
      const refund = (await api('post', `/orders/${order.id}/refunds`, {}).expect(200)).body.data.refund;
      const stripeRefund = await waitFor(
        async () => stripeRefundsOf(order.paymentIntent)[0],
        (r) => r !== undefined,
      );
      // Our row does not know Stripe's refund id yet: the metadata we sent names it.
      expect((await refundRow(refund.id)).provider_refund_id).toBeNull();
      expect((await webhook(stripe.settleRefund(stripeRefund!.id, 'succeeded'))).body).toMatchObject({ outcome: 'refunded' });
      release();
      expect(await workflowOutcome(refund.id)).toBe('succeeded');
      expect(await refundRow(refund.id)).toMatchObject({ status: 'succeeded', provider_refund_id: stripeRefund!.id });
      expect(await refundEvents(order.id)).toHaveLength(1);
      expect(await statusOf(order.id)).toBe('REFUNDED');
    } finally {
      release?.();
      stripe.holdReplies('/v1/refunds', null);
    }
  });

  it('a pending refund that Stripe then fails is marked failed with order.refund_failed, once; nothing is taken back', async () => {
    const { variantId } = await licensed('FAILS', 900);
    const order = await paidStripeOrder([variantId]);
    stripe.answerRefunds('pending');
    const refund = (await api('post', `/orders/${order.id}/refunds`, { reason: 'asked' }).expect(200)).body.data.refund;
    expect(await workflowOutcome(refund.id)).toBe('pending');
    const stripeRefund = stripeRefundsOf(order.paymentIntent)[0]!;

    const failed = stripe.settleRefund(stripeRefund.id, 'failed', 'expired_or_canceled_card');
    expect((await webhook(failed)).body).toMatchObject({ outcome: 'refund_failed', invoice_id: order.id });
    expect((await webhook(failed)).body).toMatchObject({ duplicate: true });
    // A stale `succeeded` (events come in any order) cannot bring it back.
    const stale = { ...failed, id: `${failed.id}_stale`, data: { object: { ...failed.data.object, status: 'succeeded' } } };
    expect((await webhook(stale)).body).toMatchObject({ outcome: 'ignored' });

    const row = await refundRow(refund.id);
    expect(row).toMatchObject({ status: 'failed', consequences_at: null });
    expect(row.failure_reason).toContain('expired_or_canceled_card');
    expect((await api('get', `/refunds/${refund.id}`).expect(200)).body.data.status).toBe('failed');
    expect(await statusOf(order.id)).toBe('COMPLETED');
    expect(await activeKeys(order.id)).toEqual([variantId]);
    expect(await refundEvents(order.id)).toEqual([]);
    expect(await eventsOf('order.refund_failed', order.id)).toEqual([
      expect.objectContaining({
        refund_id: refund.id,
        amount: 900,
        currency: 'USD',
        provider: 'stripe',
        provider_refund_id: stripeRefund.id,
        reason: 'asked',
        consequences_applied: false,
      }),
    ]);
    // No money went back: the order can be refunded again.
    stripe.answerRefunds('succeeded');
    const retry = (await api('post', `/orders/${order.id}/refunds`, {}).expect(200)).body.data.refund;
    expect((await settled(retry.id)).status).toBe('succeeded');
    expect(await statusOf(order.id)).toBe('REFUNDED');
  });

  it('a refund Stripe refuses at once is failed with order.refund_failed, once, and takes nothing back', async () => {
    const { variantId } = await licensed('REFUSED', 700);
    const order = await paidStripeOrder([variantId]);
    stripe.failRequests('/v1/refunds', {
      status: 400,
      body: { error: { type: 'invalid_request_error', code: 'charge_disputed', message: 'This charge is disputed.' } },
    });
    const refund = (await api('post', `/orders/${order.id}/refunds`, {}).expect(200)).body.data.refund;
    expect(await workflowOutcome(refund.id)).toBe('failed');
    const row = await refundRow(refund.id);
    expect(row).toMatchObject({ status: 'failed', consequences_at: null });
    expect(row.failure_reason).toContain('This charge is disputed.');
    expect(await eventsOf('order.refund_failed', order.id)).toEqual([
      expect.objectContaining({ refund_id: refund.id, amount: 700, failure_reason: row.failure_reason, consequences_applied: false }),
    ]);
    expect(await activeKeys(order.id)).toEqual([variantId]);
    expect(await statusOf(order.id)).toBe('COMPLETED');
  });

  it('a refund that succeeded and fails at Stripe later is marked failed with the event, which says its goods were taken back', async () => {
    const { variantId } = await licensed('LATEFAIL', 600);
    const order = await paidStripeOrder([variantId]);
    const refund = (await api('post', `/orders/${order.id}/refunds`, { amount: '2.00' }).expect(200)).body.data.refund;
    expect((await settled(refund.id)).status).toBe('succeeded');
    const stripeRefund = stripeRefundsOf(order.paymentIntent)[0]!;
    const failed = stripe.settleRefund(stripeRefund.id, 'failed', 'lost_or_stolen_card');
    expect((await webhook(failed)).body).toMatchObject({ outcome: 'refund_failed' });
    expect(await refundRow(refund.id)).toMatchObject({ status: 'failed' });
    expect(await eventsOf('order.refund_failed', order.id)).toEqual([
      expect.objectContaining({ refund_id: refund.id, amount: 200, consequences_applied: true }),
    ]);
    // The 2.00 did not go back: all 6.00 can still be refunded, and that is the whole order.
    const rest = (await api('post', `/orders/${order.id}/refunds`, {}).expect(200)).body.data.refund;
    expect(rest.amount_cents).toBe(600);
    await settled(rest.id);
    expect(await statusOf(order.id)).toBe('REFUNDED');
  });
});

describe('disputes', () => {
  const disputeEvent = (id: string, type: string, order: { id: number; paymentIntent: string }, status: string, more: object = {}) => ({
    id,
    object: 'event',
    type,
    livemode: true,
    created: 1,
    data: {
      object: {
        id: `dp_${order.id}`,
        object: 'dispute',
        amount: 1200,
        currency: 'usd',
        status,
        reason: 'fraudulent',
        payment_intent: order.paymentIntent,
        metadata: {},
        ...more,
      },
    },
  });

  it('a lost dispute takes back what a refund would; a won one gives back the order', async () => {
    const lost = await paidStripeOrder([(await licensed('LOST', 1200)).variantId]);
    await webhook(disputeEvent(`evt_dp_open_${lost.id}`, 'charge.dispute.created', lost, 'needs_response'));
    expect(await statusOf(lost.id)).toBe('DISPUTING');
    const listed = (await api('get', '/disputes').expect(200)).body;
    expect(m.page(m.dispute).safeParse(listed).error).toBeUndefined();
    const opened = listed.data.find((d: { provider_dispute_id: string }) => d.provider_dispute_id === `dp_${lost.id}`);
    expect(opened).toMatchObject({ source: { type: 'order', id: lost.id }, amount: 1200, currency: 'USD', status: 'open' });
    // An open dispute keeps the keys: it may still be won.
    expect(await activeKeys(lost.id)).toHaveLength(1);

    await webhook(disputeEvent(`evt_dp_review_${lost.id}`, 'charge.dispute.updated', lost, 'under_review'));
    expect((await api('get', `/disputes/${opened.id}`).expect(200)).body.data.status).toBe('under_review');
    const closing = disputeEvent(`evt_dp_lost_${lost.id}`, 'charge.dispute.closed', lost, 'lost');
    await webhook(closing);
    await webhook(closing);
    const closed = (await api('get', `/disputes/${opened.id}`).expect(200)).body.data;
    expect(m.one(m.dispute).safeParse({ data: closed }).error).toBeUndefined();
    expect(closed.status).toBe('lost');
    expect(await statusOf(lost.id)).toBe('REVERSED');
    expect(await activeKeys(lost.id)).toEqual([]);

    const won = await paidStripeOrder([(await licensed('WON', 1200)).variantId]);
    const delivered = await completion(won.id);
    await webhook(disputeEvent(`evt_dp_open_${won.id}`, 'charge.dispute.created', won, 'needs_response'));
    await webhook(disputeEvent(`evt_dp_won_${won.id}`, 'charge.dispute.closed', won, 'won'));
    // Delivered before the dispute: back to COMPLETED, still completed once, when it was.
    expect(await statusOf(won.id)).toBe('COMPLETED');
    expect(await completion(won.id)).toEqual(delivered);
    expect(delivered.events).toBe(1);
    expect(await activeKeys(won.id)).toHaveLength(1);
    const disputed = (await h.db.selectFrom('events').select('data').where('type', '=', 'order.disputed').orderBy('created_at').execute())
      .map((e) => e.data as Record<string, unknown>)
      .filter((d) => d.id === won.id);
    expect(disputed.map((d) => d.status)).toEqual(['DISPUTING', 'COMPLETED']);

    expect((await api('get', '/disputes/not-a-uuid')).status).toBe(404);
    expect((await api('get', '/disputes/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });
  const disputedEvents = async (invoiceId: number) =>
    (await h.db.selectFrom('events').select('data').where('type', '=', 'order.disputed').orderBy('created_at').execute())
      .map((e) => e.data as Record<string, unknown>)
      .filter((d) => d.id === invoiceId);

  it('a dispute closed neither won nor lost settles by the money: none moved gives the order back, money moved takes it', async () => {
    const warned = await paidStripeOrder([(await licensed('WARNED', 1200)).variantId]);
    await webhook(disputeEvent(`evt_dp_open_${warned.id}`, 'charge.dispute.created', warned, 'warning_needs_response'));
    expect(await statusOf(warned.id)).toBe('DISPUTING');
    await webhook(disputeEvent(`evt_dp_warned_${warned.id}`, 'charge.dispute.closed', warned, 'warning_closed'));
    expect(await statusOf(warned.id)).toBe('COMPLETED');
    expect(await activeKeys(warned.id)).toHaveLength(1);
    expect((await disputedEvents(warned.id)).map((d) => [d.status, d.dispute_status])).toEqual([
      ['DISPUTING', 'open'],
      ['COMPLETED', 'closed'],
    ]);
    const row = await h.db
      .selectFrom('disputes')
      .select(['status', 'provider_status', 'closed_at'])
      .where('invoice_id', '=', warned.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'closed', provider_status: 'warning_closed', closed_at: expect.any(Date) });

    const debited = await paidStripeOrder([(await licensed('DEBITED', 1200)).variantId]);
    await webhook(disputeEvent(`evt_dp_open_${debited.id}`, 'charge.dispute.created', debited, 'needs_response'));
    await webhook(
      disputeEvent(`evt_dp_debited_${debited.id}`, 'charge.dispute.closed', debited, 'prevented', {
        balance_transactions: [{ id: 'txn_dp', object: 'balance_transaction', amount: -1200 }],
      }),
    );
    expect(await statusOf(debited.id)).toBe('REVERSED');
    expect(await activeKeys(debited.id)).toEqual([]);
  });

  it('a dispute of an order stuck on a failed step: retries refused (409 disputed) while open, the delivery ends when lost', async () => {
    const order = await stuckStripeOrder();
    await webhook(disputeEvent(`evt_dp_open_${order.id}`, 'charge.dispute.created', order, 'needs_response'));
    await waitFor(
      () => orderWorkflow(order.id).query(orderStateQuery),
      (state) => state.phase === 'disputed',
    );
    await untilFlagged(order.id, false);
    // The workflow's own validator refuses: nothing is delivered, nothing completes a disputed order.
    expect(refusal(await api('post', `/orders/${order.id}/fulfillment-retries`, {}))).toEqual([409, 'disputed']);
    expect(await statusOf(order.id)).toBe('DISPUTING');

    await webhook(disputeEvent(`evt_dp_lost_${order.id}`, 'charge.dispute.closed', order, 'lost'));
    expect(await orderWorkflow(order.id).result()).toEqual({ invoiceId: order.id, outcome: 'reversed' });
    expect(refusal(await api('post', `/orders/${order.id}/fulfillment-retries`, {}))).toEqual([409, 'reversed']);
    expect(await statusOf(order.id)).toBe('REVERSED');
    expect(order.seller.received).toHaveLength(1);
    await order.seller.close();
  });

  it('a dispute won on an order stuck on a failed step gives back PAID; the ops retry delivers and completes it, once', async () => {
    const order = await stuckStripeOrder('GOODS-AFTER-WON');
    await webhook(disputeEvent(`evt_dp_open_${order.id}`, 'charge.dispute.created', order, 'needs_response'));
    await waitFor(
      () => orderWorkflow(order.id).query(orderStateQuery),
      (state) => state.phase === 'disputed',
    );
    await webhook(disputeEvent(`evt_dp_won_${order.id}`, 'charge.dispute.closed', order, 'won'));
    // Undelivered: the dispute gives back the PAID it took, never a COMPLETED the order has not earned.
    expect(await statusOf(order.id)).toBe('PAID');
    expect((await disputedEvents(order.id)).map((d) => d.status)).toEqual(['DISPUTING', 'PAID']);
    await waitFor(
      () => orderWorkflow(order.id).query(orderStateQuery),
      (state) => state.phase === 'needs_attention',
    );
    await untilFlagged(order.id, true);
    expect(await completion(order.id)).toEqual({ completedAt: null, events: 0 });
    expect((await api('post', `/orders/${order.id}/fulfillment-retries`, {})).status).toBe(200);
    expect(await orderWorkflow(order.id).result()).toEqual({ invoiceId: order.id, outcome: 'completed' });
    expect(order.seller.received).toHaveLength(2);
    expect(await statusOf(order.id)).toBe('COMPLETED');
    expect(await completion(order.id)).toEqual({ completedAt: expect.any(Date), events: 1 });
    await order.seller.close();
  });

  it('a step run while a dispute is committed but not yet heard hands nothing over; it waits, pending, and delivers once the dispute is won', async () => {
    const { variantId } = await createVariant(h, store.live, {
      deliverable: { types: ['TEXT'], data: { serials: 'HELD-1' } },
      price: 1200,
    });
    const created = await api('post', '/invoices', {
      customer_email: 'held@e.co',
      payment_method: 'STRIPE',
      product_variants: { [variantId]: { quantity: 1 } },
    }).expect(201);
    const id = created.body.data.id as number;
    const checkout = await api('post', `/invoices/${id}/checkout`).expect(200);
    // The serial is gone when the order pays: its step fails out of stock and waits for ops.
    await h.db.deleteFrom('variant_serials').where('variant_id', '=', variantId).execute();
    const { paymentIntent, event } = stripe.payCheckout(checkout.body.invoice.payment.gateway.data.session_id);
    await webhook(event);
    await untilFlagged(id, true);
    await appendSerials(h.db, { storeId: store.id, variantId, serials: ['HELD-1'] });
    const serial = () =>
      h.db.selectFrom('variant_serials').select(['status', 'claim_key']).where('variant_id', '=', variantId).executeTakeFirstOrThrow();

    // The dispute commits; its news to the workflow is still in the outbox (told as sent, never signalled).
    await h.db.transaction().execute(async (trx) => {
      const invoice = await trx
        .selectFrom('invoices')
        .select(['id', 'store_id', 'livemode', 'total_cents', 'currency'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      await applyDispute(trx, invoice, {
        provider: 'stripe',
        providerDisputeId: `dp_${id}`,
        status: 'open',
        providerStatus: 'needs_response',
        amountCents: null,
        currency: null,
        reason: 'fraudulent',
        opened: true,
      });
      await trx
        .updateTable('engine_intents')
        .set({ delivered_at: new Date() })
        .where('kind', '=', 'order.sale_changed')
        .where('subject_id', '=', id)
        .execute();
    });
    // The workflow has not heard: it takes the retry, and its step meets the dispute.
    expect((await api('post', `/orders/${id}/fulfillment-retries`, {})).status).toBe(200);
    await waitFor(
      () => orderWorkflow(id).query(orderStateQuery),
      (state) => state.phase === 'disputed',
    );
    expect(await serial()).toEqual({ status: 'AVAILABLE', claim_key: null });
    expect(await h.db.selectFrom('delivery_steps').select('status').where('invoice_id', '=', id).execute()).toEqual([
      { status: 'pending' },
    ]);
    await untilFlagged(id, false);
    expect(refusal(await api('post', `/orders/${id}/fulfillment-retries`, {}))).toEqual([409, 'disputed']);

    await webhook(disputeEvent(`evt_dp_won_${id}`, 'charge.dispute.closed', { id, paymentIntent }, 'won'));
    expect(await orderWorkflow(id).result()).toEqual({ invoiceId: id, outcome: 'completed' });
    expect(await serial()).toEqual({ status: 'SOLD', claim_key: expect.stringContaining(`invoice-${id}/`) });
    expect(await statusOf(id)).toBe('COMPLETED');
    expect(await completion(id)).toEqual({ completedAt: expect.any(Date), events: 1 });
  });
});
