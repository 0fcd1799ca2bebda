import request from 'supertest';
import { type PaypalFake, startPaypalFake } from '../fakes/paypal';
import { type PaypalBillingFake, paypalBilling } from '../fakes/paypal-billing';
import { startSmtpSink } from '../fakes/smtp-sink';
import { waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';
import { licenseKeys, subscribeThroughPaypal, subscriptionVariant } from '../helpers/subscription-fixtures';

/**
 * PayPal subscriptions end to end on the real Temporal dev server: checkout makes the plan (once
 * per variant and price) and the subscription through the official PayPal SDK against the local
 * PayPal fake; PayPal's events, signed and delivered to the store's webhook (verified with
 * verify-webhook-signature), drive the same subscription workflow Stripe's do, and the seller's cancels reach PayPal.
 */
const WEBHOOK_ID = 'WHLIVESUBS01';
const LIVE = { clientId: 'AZliveSubsClient01', clientSecret: 'ELliveSubsSecret01', mode: 'live' as const };
let paypal: PaypalFake;
let billing: PaypalBillingFake;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;

beforeAll(async () => {
  paypal = await startPaypalFake();
  paypal.addApp(LIVE, WEBHOOK_ID);
  billing = paypalBilling(paypal);
  smtp = await startSmtpSink();
  h = await startHarness({
    worker: true,
    env: { PAYPAL_API_URL: paypal.url, SMTP_URL: smtp.url, SUBSCRIPTION_CANCEL_CONFIRM_SECONDS: '2' },
  });
  store = await h.createStore();
  await api('put', '/settings/payment-methods/PAYPAL', {
    client_id: LIVE.clientId,
    client_secret: LIVE.clientSecret,
    webhook_id: WEBHOOK_ID,
  }).expect(200);
  ({ variantId } = await subscriptionVariant(h, store.live, licenseKeys('PPS')));
}, 300_000);
afterAll(async () => {
  await h?.close();
  await paypal?.close();
  await smtp?.close();
});

function api(method: 'get' | 'post' | 'patch' | 'put', path: string, body?: object) {
  return request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);
}

/** PayPal delivers an event to the store's live webhook, signed with PayPal's transmission scheme. */
async function webhook(event: object) {
  const { body, headers } = paypal.deliver(event, WEBHOOK_ID);
  const answer = await request(h.app).post(`/webhooks/paypal/${store.slug}/live`).set(headers).send(body).expect(200);
  return answer.body as { duplicate: boolean; invoice_id: number | null; subscription_id: number | null; outcome: string | null };
}

interface SubscriptionBody {
  id: number;
  status: string;
  provider: string;
  current_period_end: string;
  cancel_at_period_end: boolean;
  cancellation_in_progress: boolean;
  end_reason: string | null;
  [field: string]: unknown;
}
const subscription = async (id: number): Promise<SubscriptionBody> => (await api('get', `/subscriptions/${id}`).expect(200)).body.data;
const until = (id: number, done: (s: SubscriptionBody) => boolean) => waitFor(() => subscription(id), done, 30_000);
const eventsOf = async (type: string, subscriptionId: number) =>
  (await h.db.selectFrom('events').select('data').where('type', '=', type).where('store_id', '=', store.id).execute()).filter(
    (e) => e.data.id === subscriptionId,
  );
const keysOf = (invoiceId: number) =>
  h.db.selectFrom('license_keys').select(['active', 'subscription_id']).where('invoice_id', '=', invoiceId).execute();
const cancelCalls = (paypalId: string) => paypal.requests.filter((r) => r.path === `/v1/billing/subscriptions/${paypalId}/cancel`);

let variantId: number;
const subscribe = (email: string) => subscribeThroughPaypal(h, store.live, billing, webhook, variantId, email);

describe('PayPal subscriptions', () => {
  it('makes the product and plan once per variant and price, and a subscription per invoice with the invoice as custom_id', async () => {
    await subscribe('first@example.com');
    await subscribe('second@example.com');
    const created = (path: string) => paypal.requests.filter((r) => r.method === 'POST' && r.path === path);
    expect(created('/v1/catalogs/products')).toHaveLength(1);
    const plans = created('/v1/billing/plans');
    expect(plans).toHaveLength(1);
    expect(plans[0]!.body.billing_cycles[0]).toMatchObject({
      frequency: { interval_unit: 'MONTH', interval_count: 1 },
      tenure_type: 'REGULAR',
      total_cycles: 0,
      pricing_scheme: { fixed_price: { currency_code: 'USD', value: '15.00' } },
    });
    const subscriptions = created('/v1/billing/subscriptions');
    expect(subscriptions).toHaveLength(2);
    expect(subscriptions[0]!.body).toMatchObject({
      plan_id: [...billing.state.plans.keys()][0],
      subscriber: { email_address: 'first@example.com' },
    });
    expect(new Set(subscriptions.map((r) => r.requestId)).size).toBe(2);
    expect(await h.db.selectFrom('paypal_billing_plans').select('paypal_plan_id').execute()).toHaveLength(1);
  });

  it('renews twice exactly once each under redelivered events, then cancels now with a refund: PayPal stops billing, access ends', async () => {
    const sub = await subscribe('renewer@example.com');
    let record = await subscription(sub.id);
    expect(record).toMatchObject({ status: 'ACTIVE', provider: 'paypal', cancel_at_period_end: false });
    expect((await keysOf(sub.invoiceId))[0]).toMatchObject({ active: true, subscription_id: sub.id });
    // The first sale confirms the period; it is the order, not a renewal.
    expect(await eventsOf('subscription.renewed', sub.id)).toHaveLength(0);

    let periodEnd = record.current_period_end;
    for (let i = 0; i < 2; i += 1) {
      const sale = billing.renew(sub.paypalId);
      await webhook(sale);
      // PayPal redelivers the same event, and sends the same sale under another event id.
      expect((await webhook(sale)).duplicate).toBe(true);
      await webhook({ ...sale, id: `${sale.id}-again` });
      record = await until(sub.id, (s) => s.current_period_end > periodEnd);
      const months = new Date(record.current_period_end).getUTCMonth() - new Date(periodEnd).getUTCMonth();
      expect((months + 12) % 12).toBe(1);
      periodEnd = record.current_period_end;
    }
    expect(await eventsOf('subscription.renewed', sub.id)).toHaveLength(2);
    const payments = await h.db
      .selectFrom('subscription_payments')
      .select(['amount_cents', 'provider_invoice_id'])
      .where('subscription_id', '=', sub.id)
      .orderBy('id')
      .execute();
    expect(payments.map((p) => p.amount_cents)).toEqual([1500, 1500, 1500]);
    const receipts = await waitFor(
      async () => smtp.mails.filter((m) => m.raw.includes(`<invoice-${sub.invoiceId}.renewal-receipt-`)),
      (m) => m.length >= 2,
    );
    expect(receipts).toHaveLength(2);

    const cancel = await api('patch', `/subscriptions/${sub.id}/cancel`, { cancel_at_period_end: false, refund_last_payment: true });
    expect(cancel.status).toBe(200);
    expect(cancel.body.data).toMatchObject({ cancellation_in_progress: true });
    await waitFor(
      async () => billing.subscription(sub.paypalId).status,
      (s) => s === 'CANCELLED',
    );
    expect(cancelCalls(sub.paypalId)).toHaveLength(1);
    // The last renewal's sale is refunded in full, once.
    const lastSale = payments.at(-1)!.provider_invoice_id;
    await waitFor(
      async () => billing.state.saleRefunds.filter((r) => r.saleId === lastSale),
      (r) => r.length === 1,
    );
    expect(billing.state.saleRefunds.filter((r) => r.saleId === lastSale)[0]!.amount).toEqual({ total: '15.00', currency: 'USD' });
    await waitFor(
      async () => (await keysOf(sub.invoiceId))[0]!.active,
      (active) => !active,
    );
    // PayPal confirms with BILLING.SUBSCRIPTION.CANCELLED.
    await webhook(billing.event(sub.paypalId, 'BILLING.SUBSCRIPTION.CANCELLED'));
    const ended = await until(sub.id, (s) => s.status === 'CANCELED' && !s.cancellation_in_progress);
    expect(ended.end_reason).toBe('canceled');
    expect(await eventsOf('subscription.cancelled', sub.id)).toHaveLength(1);
    // A sale after the end renews nothing.
    await webhook(billing.renew(sub.paypalId));
    expect((await subscription(sub.id)).current_period_end).toBe(periodEnd);
    await new Promise((r) => setTimeout(r, 1000));
    expect(cancelCalls(sub.paypalId)).toHaveLength(1);
    expect(billing.state.saleRefunds.filter((r) => r.saleId === lastSale)).toHaveLength(1);
  });

  it('a dispute of a renewal’s sale is recorded on the order once; the order and subscription go on, as after a renewal’s refund', async () => {
    const sub = await subscribe('renewal-dispute@example.com');
    const firstPeriodEnd = (await subscription(sub.id)).current_period_end;
    const renewal = billing.renew(sub.paypalId);
    await webhook(renewal);
    const saleId = (renewal.resource as { id: string }).id;
    const periodEnd = (await until(sub.id, (s) => s.current_period_end > firstPeriodEnd)).current_period_end;
    await waitFor(
      () => h.db.selectFrom('subscription_payments').select('id').where('subscription_id', '=', sub.id).execute(),
      (p) => p.length === 2,
    );
    const disputedEvents = async () =>
      (
        await h.db
          .selectFrom('events')
          .select('data')
          .where('type', '=', 'order.disputed')
          .where('store_id', '=', store.id)
          .orderBy('created_at')
          .execute()
      )
        .map((e) => e.data)
        .filter((d) => d.id === sub.invoiceId);

    const opened = billing.disputeSale(saleId, 'CUSTOMER.DISPUTE.CREATED', { id: 'PP-RD-1', status: 'OPEN' });
    expect(await webhook(opened)).toMatchObject({
      duplicate: false,
      invoice_id: sub.invoiceId,
      subscription_id: sub.id,
      outcome: 'disputed',
    });
    expect(await webhook(opened)).toMatchObject({ duplicate: true, outcome: 'disputed' });
    // The same news under another event id, and an update that changes nothing, record nothing more.
    await webhook({ ...opened, id: `${opened.id}-AGAIN` });
    await webhook(billing.disputeSale(saleId, 'CUSTOMER.DISPUTE.UPDATED', { id: 'PP-RD-1', status: 'OPEN' }));
    const rows = () =>
      h.db
        .selectFrom('disputes')
        .select(['invoice_id', 'provider', 'status', 'amount_cents', 'currency'])
        .where('provider_dispute_id', '=', 'PP-RD-1')
        .execute();
    expect(await rows()).toEqual([{ invoice_id: sub.invoiceId, provider: 'paypal', status: 'open', amount_cents: 1500, currency: 'USD' }]);
    expect(await disputedEvents()).toEqual([
      expect.objectContaining({
        subscription_id: sub.id,
        dispute_status: 'open',
        provider_dispute_id: 'PP-RD-1',
        amount: 1500,
        currency: 'USD',
      }),
    ]);
    const orderStatus = async () => (await api('get', `/invoices/${sub.invoiceId}`).expect(200)).body.data.status.status.status;
    expect(await orderStatus()).toBe('COMPLETED');

    // Lost: the renewal's money went back; like a refund of a renewal, nothing else is taken back.
    const lost = billing.disputeSale(saleId, 'CUSTOMER.DISPUTE.RESOLVED', {
      id: 'PP-RD-1',
      status: 'RESOLVED',
      outcome: 'RESOLVED_BUYER_FAVOUR',
    });
    expect(await webhook(lost)).toMatchObject({ duplicate: false, subscription_id: sub.id, outcome: 'disputed' });
    await webhook(lost);
    expect((await rows())[0]!.status).toBe('lost');
    expect((await disputedEvents()).map((d) => d.dispute_status)).toEqual(['open', 'lost']);
    expect(await orderStatus()).toBe('COMPLETED');
    expect(await subscription(sub.id)).toMatchObject({ status: 'ACTIVE', current_period_end: periodEnd });
    expect((await keysOf(sub.invoiceId))[0]!.active).toBe(true);
    // A dispute naming a sale nobody recorded matches nothing.
    const stranger = {
      ...opened,
      id: `${opened.id}-X`,
      resource: { ...opened.resource, dispute_id: 'PP-RD-2', disputed_transactions: [{ seller_transaction_id: '8SNOBODY' }] },
    };
    expect(await webhook(stranger)).toMatchObject({ outcome: 'unmatched', invoice_id: null });
  });

  it('a renewal’s sale that is not the plan’s price is recorded and flagged for ops, without extending the subscription', async () => {
    const sub = await subscribe('wrong-amount@example.com');
    const periodEnd = (await subscription(sub.id)).current_period_end;
    const sale = billing.renew(sub.paypalId);
    const resource = sale.resource as { id: string; amount: { total: string; currency: string } };
    const wrong = { ...sale, resource: { ...resource, amount: { total: '1.50', currency: 'USD' } } };
    expect(await webhook(wrong)).toMatchObject({ duplicate: false, subscription_id: sub.id, outcome: 'mismatch' });
    expect((await webhook(wrong)).duplicate).toBe(true);
    const payments = await h.db
      .selectFrom('subscription_payments')
      .select(['provider_invoice_id', 'amount_cents', 'period_start', 'period_end'])
      .where('subscription_id', '=', sub.id)
      .orderBy('id')
      .execute();
    expect(payments).toHaveLength(2);
    expect(payments[1]).toMatchObject({ provider_invoice_id: resource.id, amount_cents: 150 });
    // It paid no period.
    expect(payments[1]!.period_end).toEqual(payments[1]!.period_start);
    const order = await h.db
      .selectFrom('invoices')
      .select(['needs_attention', 'attention_reason', 'status'])
      .where('id', '=', sub.invoiceId)
      .executeTakeFirstOrThrow();
    expect(order).toMatchObject({ needs_attention: true, status: 'COMPLETED' });
    expect(order.attention_reason).toContain(resource.id);
    const flagged = (
      await h.db.selectFrom('events').select('data').where('type', '=', 'order.payment_mismatch').where('store_id', '=', store.id).execute()
    )
      .map((e) => e.data)
      .filter((d) => d.id === sub.invoiceId);
    expect(flagged).toEqual([
      expect.objectContaining({ reason_code: 'amount', received: { amount: 150, currency: 'USD' }, reference: resource.id }),
    ]);
    // Another currency is flagged as such.
    const other = billing.renew(sub.paypalId);
    const otherResource = other.resource as { id: string; amount: { total: string; currency: string } };
    await webhook({ ...other, resource: { ...otherResource, amount: { total: '15.00', currency: 'EUR' } } });
    await new Promise((r) => setTimeout(r, 1000));
    expect(await subscription(sub.id)).toMatchObject({ status: 'ACTIVE', current_period_end: periodEnd });
    expect(await eventsOf('subscription.renewed', sub.id)).toHaveLength(0);
    const codes = (
      await h.db.selectFrom('events').select('data').where('type', '=', 'order.payment_mismatch').where('store_id', '=', store.id).execute()
    )
      .filter((e) => e.data.id === sub.invoiceId)
      .map((e) => e.data.reason_code);
    expect(codes.sort()).toEqual(['amount', 'currency']);
    // The plan's price renews as ever.
    await webhook(billing.renew(sub.paypalId));
    await until(sub.id, (s) => s.current_period_end > periodEnd);
  });

  it('cancels at period end: PayPal stops billing now, access lasts the paid period', async () => {
    const sub = await subscribe('period-end@example.com');
    const response = await api('patch', `/subscriptions/${sub.id}/cancel`, { cancel_at_period_end: true }).expect(200);
    expect(response.body.data).toMatchObject({ status: 'ACTIVE', cancel_at_period_end: true });
    await waitFor(
      async () => billing.subscription(sub.paypalId).status,
      (s) => s === 'CANCELLED',
    );
    await webhook(billing.event(sub.paypalId, 'BILLING.SUBSCRIPTION.CANCELLED'));
    await new Promise((r) => setTimeout(r, 1000));
    expect(await subscription(sub.id)).toMatchObject({ status: 'ACTIVE', cancel_at_period_end: true });
    expect((await keysOf(sub.invoiceId))[0]!.active).toBe(true);
    expect(billing.state.saleRefunds.filter((r) => r.saleId === (sub.sale.resource as { id: string }).id)).toHaveLength(0);
  });

  it('a failed payment makes it PAST_DUE and e-mails the buyer once; the next sale recovers it', async () => {
    const sub = await subscribe('failing@example.com');
    const failed = billing.failPayment(sub.paypalId);
    await webhook(failed);
    await webhook({ ...failed, id: `${failed.id}-again` });
    await until(sub.id, (s) => s.status === 'PAST_DUE');
    expect(await eventsOf('subscription.payment_failed', sub.id)).toHaveLength(1);
    const notices = () => smtp.mails.filter((m) => m.raw.includes(`<invoice-${sub.invoiceId}.payment-failed-${sub.id}-`));
    await waitFor(
      async () => notices(),
      (m) => m.length >= 1,
    );
    await webhook(billing.renew(sub.paypalId));
    await until(sub.id, (s) => s.status === 'ACTIVE');
    expect(notices()).toHaveLength(1);
  });
});
