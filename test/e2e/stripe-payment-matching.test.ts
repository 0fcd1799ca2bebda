import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import request from 'supertest';
import { mainTaskQueue } from '../../src/temporal/task-queues';
import { type StripeBilling, startStripeBilling } from '../fakes/stripe-billing';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { runCli } from '../helpers/cli';
import { type Harness, startHarness, testTemporalAddress } from '../helpers/harness';
import { stripeWebhook } from '../helpers/subscription-fixtures';

/**
 * Every payment is matched before it pays, end to end: a real worker runs the order workflow,
 * Stripe (the Billing fake) opens the Checkout Session, and its events arrive signed. Money that
 * does not match (amount, currency, mode, another session) leaves the invoice unpaid and flagged
 * for ops (API and CLI); the invoice's own payment completes it, and its serial goes out once.
 */
const WEBHOOK_SECRET = 'whsec_matchinge2e';
const prefix = `matching-${randomUUID()}`;
let stripe: StripeBilling;
let h: Harness;

beforeAll(async () => {
  stripe = await startStripeBilling();
  // The CLI is a second process on the same database: Postgres.
  h = await startHarness({ worker: true, taskQueue: mainTaskQueue(prefix), database: 'postgres', env: { STRIPE_API_BASE: stripe.url } });
}, 120_000);
afterAll(async () => {
  await h?.close();
  await stripe?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('mismatched Stripe payments leave the invoice unpaid and flagged; its own payment completes it exactly once', async () => {
  const store = await h.createStore();
  const api = (method: 'get' | 'post' | 'put', path: string, body?: object, key = store.test) =>
    request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${key}`).send(body);
  const settings = { test_secret_key: 'sk_test_matchinge2e', webhook_secret: WEBHOOK_SECRET };
  await api('put', '/settings/payment-methods/STRIPE', settings, store.live).expect(200);
  const webhook = stripeWebhook(h, store.slug, WEBHOOK_SECRET);
  const deliverable = { types: ['TEXT'], data: { serials: 'SERIAL-1,SERIAL-2' } };
  const { variantId } = await createVariant(h, store.live, { deliverable, price: 2500 });
  const order = { customer_email: 'buyer@e.co', payment_method: 'STRIPE', product_variants: { [variantId]: { quantity: 1 } } };
  const invoiceId: number = (await api('post', '/invoices', order).expect(201)).body.data.id;
  const checkout = await api('post', `/invoices/${invoiceId}/checkout`).expect(200);
  const sessionId: string = checkout.body.invoice.payment.gateway.data.session_id;
  const invoice = async () => (await api('get', `/invoices/${invoiceId}`).expect(200)).body.data;
  const eventsOf = async (type: string) => {
    const rows = await h.db.selectFrom('events').select('data').where('type', '=', type).where('store_id', '=', store.id).execute();
    return rows.filter((e) => e.data.id === invoiceId);
  };

  // Four payments that do not match: too little, another currency, live mode, another checkout.
  const foreign = stripe.payCheckout(sessionId).event as unknown as { data: { object: Record<string, unknown> } };
  foreign.data.object = { ...foreign.data.object, id: 'cs_test_not_ours' };
  const mismatches: [string, Stripe.Event][] = [
    ['underpaid', stripe.payCheckout(sessionId, { amount_total: 100 }).event],
    ['currency', stripe.payCheckout(sessionId, { currency: 'eur' }).event],
    ['mode', stripe.payCheckout(sessionId, { livemode: true }).event],
    ['foreign_session', foreign as unknown as Stripe.Event],
  ];
  for (const [, event] of mismatches) {
    const response = (await webhook(event)) as { body: { outcome: string } };
    const now = await invoice();
    expect(['PENDING', 'PARTIAL']).toContain(now.status.status.status);
    expect(now.delivery.needs_attention).toBe(true);
    expect(['partial', 'mismatch']).toContain(response.body.outcome);
  }
  // The worker had time to act on a wrong payment signal; nothing was delivered.
  await sleep(1000);
  const unpaid = await invoice();
  expect(unpaid.status.status.status).toBe('PARTIAL');
  expect(unpaid.delivery.steps).toEqual([]);
  expect((await eventsOf('order.payment_mismatch')).map((e) => e.data.reason_code)).toEqual(mismatches.map(([code]) => code));
  expect(await eventsOf('order.paid')).toEqual([]);

  // Ops see why: the API's stuck orders and the CLI's.
  const stuck = (await api('get', '/ops/stuck-orders').expect(200)).body.data as { id: number; delivery: { attention_reason: string } }[];
  const reason = stuck.find((o) => o.id === invoiceId)?.delivery.attention_reason;
  expect(reason).toContain('cs_test_not_ours is not the checkout this invoice opened');
  const temporal = { TEMPORAL_ADDRESS: testTemporalAddress(), TEMPORAL_TASK_QUEUE_PREFIX: prefix };
  const env = { ...h.database.env, SELLFLOW_DATA_DIR: h.config.dataDir, ...temporal };
  const cli = await runCli(['orders', 'stuck', '--store', store.slug, '--json'], env);
  expect(cli.code).toBe(0);
  const listed = JSON.parse(cli.stdout).orders as { id: number; status: string; attention_reason: string }[];
  const flagged = { id: invoiceId, status: 'PARTIAL', attention_reason: expect.stringContaining('not the checkout') };
  expect(listed).toEqual([expect.objectContaining(flagged)]);
  const text = await runCli(['orders', 'stuck', '--store', store.slug], env);
  expect(text.stdout).toContain(`#${invoiceId}`);
  expect(text.stdout).toContain('not the checkout this invoice opened');

  // The invoice's own payment: paid, delivered once, however often Stripe reports it.
  const paid = stripe.payCheckout(sessionId);
  expect(((await webhook(paid.event)) as { body: { outcome: string } }).body.outcome).toBe('paid');
  await webhook(paid.event);
  await webhook({ ...paid.event, id: `${paid.event.id}_async`, type: 'checkout.session.async_payment_succeeded' } as Stripe.Event);
  const done = await waitFor(invoice, (b) => b.status.status.status === 'COMPLETED', 60_000);
  expect(done.payment.gateway.data.transaction_id).toBe(paid.paymentIntent);
  await sleep(1000);
  const deliverables = (await api('get', `/invoices/${invoiceId}/deliverables`).expect(200)).body.data;
  expect(deliverables.map((d: { deliverable: { data: { serials: string[] } } }) => d.deliverable.data.serials)).toEqual([['SERIAL-1']]);
  expect(await eventsOf('order.paid')).toHaveLength(1);
  expect(await eventsOf('order.completed')).toHaveLength(1);
  const steps = await h.db
    .selectFrom('delivery_steps')
    .select(['kind', 'status', 'attempts'])
    .where('invoice_id', '=', invoiceId)
    .execute();
  expect(steps).toEqual([{ kind: 'serials', status: 'delivered', attempts: 1 }]);
  // The stray money still waits for a person (refund it): the invoice stays flagged.
  expect((await invoice()).delivery.needs_attention).toBe(true);
}, 180_000);
