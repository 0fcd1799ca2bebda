/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies are untyped wire data */
import { Router } from 'express';
import {
  appOf,
  authorized,
  type FakePaypalMode,
  idempotent,
  invalidRequest,
  notFound,
  type PaypalFake,
  type PaypalState,
  paypalEvent,
  unprocessable,
} from './paypal';

/**
 * PayPal Subscriptions on the PayPal fake (a route group over its state), from PayPal's public
 * API reference: catalog products (POST /v1/catalogs/products), billing plans (POST/GET
 * /v1/billing/plans), subscriptions (POST/GET /v1/billing/subscriptions, /cancel, /suspend,
 * /activate: 204 No Content, 422 SUBSCRIPTION_STATUS_INVALID from a status they do not leave; no
 * PayPal-Request-Id) and refunds of a subscription's sale (POST /v1/payments/sale/{id}/refund). The test
 * plays the buyer (approve) and PayPal's biller (a cycle paid or failed, a suspension after
 * failures, the buyer cancelling): each answers the webhook event PayPal sends for it.
 */
export interface FakeBillingPlan {
  id: string;
  clientId: string;
  productId: string;
  name: string;
  interval: { unit: string; count: number };
  price: { currency_code: string; value: string };
}

export interface FakeSale {
  id: string;
  subscriptionId: string;
  amount: { currency_code: string; value: string };
  refundedCents: number;
  createTime: string;
}

export interface FakeBillingSubscription {
  id: string;
  clientId: string;
  mode: FakePaypalMode;
  planId: string;
  customId?: string;
  email?: string;
  status: 'APPROVAL_PENDING' | 'ACTIVE' | 'SUSPENDED' | 'CANCELLED' | 'EXPIRED';
  statusNote?: string;
  startTime: string;
  nextBillingTime: string | null;
  cyclesCompleted: number;
  failedPayments: number;
  lastPayment?: { amount: { currency_code: string; value: string }; time: string };
  createTime: string;
  updateTime: string;
}

interface BillingState {
  products: Map<string, { id: string; clientId: string; name: string; type: string }>;
  plans: Map<string, FakeBillingPlan>;
  subscriptions: Map<string, FakeBillingSubscription>;
  sales: Map<string, FakeSale>;
  saleRefunds: { id: string; saleId: string; amount: { total: string; currency: string } }[];
}

const billingStates = new WeakMap<PaypalState, BillingState>();

export function billingStateOf(state: PaypalState): BillingState {
  let billing = billingStates.get(state);
  if (!billing) {
    billing = { products: new Map(), plans: new Map(), subscriptions: new Map(), sales: new Map(), saleRefunds: [] };
    billingStates.set(state, billing);
  }
  return billing;
}

const cents = (value: string) => Math.round(Number(value) * 100);
const webOrigin = (mode: FakePaypalMode) => (mode === 'live' ? 'https://www.paypal.com' : 'https://www.sandbox.paypal.com');
const apiOrigin = (mode: FakePaypalMode) => (mode === 'live' ? 'https://api-m.paypal.com' : 'https://api-m.sandbox.paypal.com');
const INTERVAL_UNITS = new Set(['DAY', 'WEEK', 'MONTH', 'YEAR']);

function addInterval(from: Date, unit: string, count: number): Date {
  const next = new Date(from.getTime());
  if (unit === 'DAY') next.setUTCDate(next.getUTCDate() + count);
  else if (unit === 'WEEK') next.setUTCDate(next.getUTCDate() + 7 * count);
  else if (unit === 'MONTH' || unit === 'YEAR') {
    // A month on from the 31st is the next month's last day, as billing does, not a day or two into the one after.
    const months = next.getUTCMonth() + (unit === 'MONTH' ? count : 12 * count);
    const lastDay = new Date(Date.UTC(next.getUTCFullYear(), months + 1, 0)).getUTCDate();
    next.setUTCDate(1);
    next.setUTCMonth(months);
    next.setUTCDate(Math.min(from.getUTCDate(), lastDay));
  }
  return next;
}

export function subscriptionJson(billing: BillingState, s: FakeBillingSubscription) {
  const plan = billing.plans.get(s.planId)!;
  const self = `${apiOrigin(s.mode)}/v1/billing/subscriptions/${s.id}`;
  const pending = s.status === 'APPROVAL_PENDING';
  return {
    id: s.id,
    plan_id: s.planId,
    status: s.status,
    ...(s.statusNote ? { status_change_note: s.statusNote } : {}),
    status_update_time: s.updateTime,
    start_time: s.startTime,
    quantity: '1',
    ...(s.customId ? { custom_id: s.customId } : {}),
    ...(s.email ? { subscriber: { email_address: s.email, ...(pending ? {} : { payer_id: 'FAKEPAYER0001' }) } } : {}),
    ...(pending
      ? {}
      : {
          billing_info: {
            outstanding_balance: { currency_code: plan.price.currency_code, value: '0.00' },
            cycle_executions: [
              { tenure_type: 'REGULAR', sequence: 1, cycles_completed: s.cyclesCompleted, cycles_remaining: 0, total_cycles: 0 },
            ],
            ...(s.lastPayment ? { last_payment: s.lastPayment } : {}),
            ...(s.nextBillingTime && s.status === 'ACTIVE' ? { next_billing_time: s.nextBillingTime } : {}),
            failed_payments_count: s.failedPayments,
          },
        }),
    create_time: s.createTime,
    update_time: s.updateTime,
    links: pending
      ? [
          { href: `${webOrigin(s.mode)}/webapps/billing/subscriptions?ba_token=BA-${s.id.slice(2)}`, rel: 'approve', method: 'GET' },
          { href: self, rel: 'edit', method: 'PATCH' },
          { href: self, rel: 'self', method: 'GET' },
        ]
      : [
          { href: `${self}/cancel`, rel: 'cancel', method: 'POST' },
          { href: self, rel: 'edit', method: 'PATCH' },
          { href: self, rel: 'self', method: 'GET' },
          s.status === 'SUSPENDED'
            ? { href: `${self}/activate`, rel: 'activate', method: 'POST' }
            : { href: `${self}/suspend`, rel: 'suspend', method: 'POST' },
        ],
  };
}

export function saleJson(billing: BillingState, sale: FakeSale) {
  const s = billing.subscriptions.get(sale.subscriptionId)!;
  const self = `${apiOrigin(s.mode)}/v1/payments/sale/${sale.id}`;
  const total = cents(sale.amount.value);
  return {
    id: sale.id,
    state: sale.refundedCents === 0 ? 'completed' : sale.refundedCents === total ? 'refunded' : 'partially_refunded',
    amount: { total: sale.amount.value, currency: sale.amount.currency_code, details: { subtotal: sale.amount.value } },
    payment_mode: 'INSTANT_TRANSFER',
    protection_eligibility: 'ELIGIBLE',
    protection_eligibility_type: 'ITEM_NOT_RECEIVED_ELIGIBLE,UNAUTHORIZED_PAYMENT_ELIGIBLE',
    transaction_fee: { value: ((total * 0.034 + 30) / 100).toFixed(2), currency: sale.amount.currency_code },
    billing_agreement_id: sale.subscriptionId,
    ...(s.customId ? { custom: s.customId } : {}),
    create_time: sale.createTime,
    update_time: sale.createTime,
    links: [
      { href: self, rel: 'self', method: 'GET' },
      { href: `${self}/refund`, rel: 'refund', method: 'POST' },
    ],
  };
}

/** Catalog products, billing plans, subscriptions and sale refunds. */
export function billingRoutes(state: PaypalState): Router {
  const billing = billingStateOf(state);
  const router = Router();
  router.use(['/v1/catalogs', '/v1/billing', '/v1/payments'], authorized(state));

  router.post('/v1/catalogs/products', (req, res) =>
    idempotent(state, req, res, () => {
      const body = req.body ?? {};
      if (typeof body.name !== 'string' || body.name === '')
        return void invalidRequest(res, '/name', 'MISSING_REQUIRED_PARAMETER', 'A required field is missing.');
      if (!['PHYSICAL', 'DIGITAL', 'SERVICE'].includes(body.type))
        return void invalidRequest(res, '/type', 'INVALID_PARAMETER_VALUE', 'The value of a field is invalid.');
      const product = { id: state.nextId('PROD-'), clientId: appOf(res).clientId, name: body.name, type: body.type };
      billing.products.set(product.id, product);
      const self = `${apiOrigin(appOf(res).mode)}/v1/catalogs/products/${product.id}`;
      return {
        status: 201,
        body: {
          id: product.id,
          name: product.name,
          type: product.type,
          ...(body.category ? { category: body.category } : {}),
          create_time: new Date().toISOString(),
          links: [{ href: self, rel: 'self', method: 'GET' }],
        },
      };
    }),
  );

  const planJson = (plan: FakeBillingPlan, mode: FakePaypalMode) => ({
    id: plan.id,
    product_id: plan.productId,
    name: plan.name,
    status: 'ACTIVE',
    billing_cycles: [
      {
        frequency: { interval_unit: plan.interval.unit, interval_count: plan.interval.count },
        tenure_type: 'REGULAR',
        sequence: 1,
        total_cycles: 0,
        pricing_scheme: { version: 1, fixed_price: plan.price },
      },
    ],
    payment_preferences: { auto_bill_outstanding: true, setup_fee_failure_action: 'CANCEL', payment_failure_threshold: 3 },
    quantity_supported: false,
    create_time: new Date().toISOString(),
    links: [{ href: `${apiOrigin(mode)}/v1/billing/plans/${plan.id}`, rel: 'self', method: 'GET' }],
  });
  router.post('/v1/billing/plans', (req, res) =>
    idempotent(state, req, res, () => {
      const body = req.body ?? {};
      const product = billing.products.get(String(body.product_id));
      if (!product || product.clientId !== appOf(res).clientId)
        return void invalidRequest(res, '/product_id', 'INVALID_PARAMETER_VALUE', 'The value of a field is invalid.');
      const cycles: any[] = Array.isArray(body.billing_cycles) ? body.billing_cycles : [];
      const regular = cycles.find((c) => c?.tenure_type === 'REGULAR');
      const price = regular?.pricing_scheme?.fixed_price;
      if (!regular || !INTERVAL_UNITS.has(regular.frequency?.interval_unit))
        return void invalidRequest(res, '/billing_cycles', 'MISSING_REQUIRED_PARAMETER', 'A required field is missing.');
      if (!/^[A-Z]{3}$/.test(price?.currency_code ?? '') || !(cents(price?.value ?? '') > 0))
        return void invalidRequest(
          res,
          '/billing_cycles/0/pricing_scheme/fixed_price',
          'INVALID_PARAMETER_VALUE',
          'The value of a field is invalid.',
        );
      if (!body.payment_preferences)
        return void invalidRequest(res, '/payment_preferences', 'MISSING_REQUIRED_PARAMETER', 'A required field is missing.');
      const plan: FakeBillingPlan = {
        id: state.nextId('P-'),
        clientId: appOf(res).clientId,
        productId: product.id,
        name: String(body.name ?? ''),
        interval: { unit: regular.frequency.interval_unit, count: regular.frequency.interval_count ?? 1 },
        price: { currency_code: price.currency_code, value: price.value },
      };
      billing.plans.set(plan.id, plan);
      return { status: 201, body: planJson(plan, appOf(res).mode) };
    }),
  );
  router.get('/v1/billing/plans/:id', (req, res) => {
    const plan = billing.plans.get(String(req.params.id));
    if (!plan || plan.clientId !== appOf(res).clientId) return notFound(res);
    res.json(planJson(plan, appOf(res).mode));
  });

  router.post('/v1/billing/subscriptions', (req, res) =>
    idempotent(state, req, res, () => {
      const body = req.body ?? {};
      const plan = billing.plans.get(String(body.plan_id));
      if (!plan || plan.clientId !== appOf(res).clientId)
        return void unprocessable(res, 'INVALID_PLAN_ID', 'The specified plan ID is invalid or does not exist.');
      const context = body.application_context ?? {};
      if (typeof context.return_url !== 'string' || typeof context.cancel_url !== 'string')
        return void invalidRequest(res, '/application_context/return_url', 'MISSING_REQUIRED_PARAMETER', 'A required field is missing.');
      const now = new Date().toISOString();
      const s: FakeBillingSubscription = {
        id: state.nextId('I-'),
        clientId: appOf(res).clientId,
        mode: appOf(res).mode,
        planId: plan.id,
        ...(typeof body.custom_id === 'string' ? { customId: body.custom_id } : {}),
        ...(typeof body.subscriber?.email_address === 'string' ? { email: body.subscriber.email_address } : {}),
        status: 'APPROVAL_PENDING',
        startTime: body.start_time ?? now,
        nextBillingTime: null,
        cyclesCompleted: 0,
        failedPayments: 0,
        createTime: now,
        updateTime: now,
      };
      billing.subscriptions.set(s.id, s);
      return { status: 201, body: subscriptionJson(billing, s) };
    }),
  );
  const own = (id: unknown, res: Parameters<typeof appOf>[0]) => {
    const s = billing.subscriptions.get(String(id));
    return s && s.clientId === appOf(res).clientId ? s : undefined;
  };
  router.get('/v1/billing/subscriptions/:id', (req, res) => {
    const s = own(req.params.id, res);
    if (!s) return notFound(res);
    res.json(subscriptionJson(billing, s));
  });
  const transition =
    (from: FakeBillingSubscription['status'][], to: FakeBillingSubscription['status']) =>
    (req: Parameters<Parameters<Router['post']>[1]>[0], res: Parameters<typeof appOf>[0]) => {
      const s = own(req.params.id, res);
      if (!s) return notFound(res);
      if (typeof req.body?.reason !== 'string' || req.body.reason === '')
        return invalidRequest(res, '/reason', 'MISSING_REQUIRED_PARAMETER', 'A required field is missing.');
      if (!from.includes(s.status))
        return unprocessable(res, 'SUBSCRIPTION_STATUS_INVALID', 'Invalid subscription status for cancel/suspend/activate action.');
      const now = new Date();
      // A billing time that passed while suspended is due the day of the activation (PayPal bills then).
      if (to === 'ACTIVE' && s.nextBillingTime && new Date(s.nextBillingTime) < now) s.nextBillingTime = now.toISOString();
      s.status = to;
      s.statusNote = req.body.reason;
      s.updateTime = now.toISOString();
      res.sendStatus(204);
    };
  router.post('/v1/billing/subscriptions/:id/cancel', transition(['ACTIVE', 'SUSPENDED'], 'CANCELLED'));
  router.post('/v1/billing/subscriptions/:id/suspend', transition(['ACTIVE'], 'SUSPENDED'));
  router.post('/v1/billing/subscriptions/:id/activate', transition(['SUSPENDED'], 'ACTIVE'));

  router.post('/v1/payments/sale/:id/refund', (req, res) =>
    idempotent(state, req, res, () => {
      const sale = billing.sales.get(String(req.params.id));
      const s = sale && billing.subscriptions.get(sale.subscriptionId);
      if (!sale || s?.clientId !== appOf(res).clientId) return void notFound(res);
      const total = cents(sale.amount.value);
      const asked = req.body?.amount;
      if (asked && asked.currency !== sale.amount.currency_code)
        return void unprocessable(res, 'REFUND_CURRENCY_MISMATCH', 'Refund must be in the same currency as the sale.');
      const amount = asked ? cents(asked.total) : total - sale.refundedCents;
      if (!(amount > 0) || sale.refundedCents + amount > total)
        return void unprocessable(res, 'REFUND_EXCEEDED_TRANSACTION_AMOUNT', 'Refund amount exceeded transaction amount.');
      sale.refundedCents += amount;
      const refund = {
        id: state.nextId('RF'),
        saleId: sale.id,
        amount: { total: (amount / 100).toFixed(2), currency: sale.amount.currency_code },
      };
      billing.saleRefunds.push(refund);
      const self = `${apiOrigin(s.mode)}/v1/payments/refund/${refund.id}`;
      return {
        status: 201,
        body: {
          id: refund.id,
          state: 'completed',
          amount: refund.amount,
          sale_id: sale.id,
          create_time: new Date().toISOString(),
          links: [
            { href: self, rel: 'self', method: 'GET' },
            { href: `${apiOrigin(s.mode)}/v1/payments/sale/${sale.id}`, rel: 'sale', method: 'GET' },
          ],
        },
      };
    }),
  );
  return router;
}

/** The test's hand on PayPal's biller: each step answers the webhook event PayPal sends for it. */
export function paypalBilling(fake: PaypalFake) {
  const billing = billingStateOf(fake.state);
  const subscription = (id: string) => {
    const s = billing.subscriptions.get(id);
    if (!s) throw new Error(`no PayPal subscription ${id}`);
    return s;
  };
  const subscriptionEvent = (s: FakeBillingSubscription, type: string) =>
    paypalEvent(type, 'subscription', subscriptionJson(billing, s), `Subscription ${s.id} ${type.split('.').pop()!.toLowerCase()}`);
  /** PayPal bills one cycle: a sale, the cycle counted, the next billing time moved. */
  const charge = (s: FakeBillingSubscription) => {
    const plan = billing.plans.get(s.planId)!;
    const now = new Date();
    const sale: FakeSale = {
      id: fake.state.nextId('8S'),
      subscriptionId: s.id,
      amount: plan.price,
      refundedCents: 0,
      createTime: now.toISOString(),
    };
    billing.sales.set(sale.id, sale);
    s.cyclesCompleted += 1;
    s.failedPayments = 0;
    s.lastPayment = { amount: plan.price, time: sale.createTime };
    const from = s.nextBillingTime ? new Date(s.nextBillingTime) : now;
    s.nextBillingTime = addInterval(from, plan.interval.unit, plan.interval.count).toISOString();
    s.updateTime = sale.createTime;
    return paypalEvent(
      'PAYMENT.SALE.COMPLETED',
      'sale',
      saleJson(billing, sale),
      `Payment completed for ${plan.price.value} ${plan.price.currency_code}`,
    );
  };
  return {
    state: billing,
    subscription,
    /** The buyer approved at PayPal: the subscription is active and its first cycle paid. */
    approve(id: string) {
      const s = subscription(id);
      s.status = 'ACTIVE';
      s.updateTime = new Date().toISOString();
      const activated = subscriptionEvent(s, 'BILLING.SUBSCRIPTION.ACTIVATED');
      return { activated, paid: charge(s) };
    },
    /** The next cycle is paid. */
    renew: (id: string) => charge(subscription(id)),
    /** The next cycle's payment failed. */
    failPayment(id: string) {
      const s = subscription(id);
      s.failedPayments += 1;
      s.updateTime = new Date().toISOString();
      return subscriptionEvent(s, 'BILLING.SUBSCRIPTION.PAYMENT.FAILED');
    },
    /** PayPal suspended it (failures past the plan's threshold). */
    suspend(id: string) {
      const s = subscription(id);
      s.status = 'SUSPENDED';
      s.updateTime = new Date().toISOString();
      return subscriptionEvent(s, 'BILLING.SUBSCRIPTION.SUSPENDED');
    },
    /** The buyer cancelled it in their PayPal account. */
    cancelByBuyer(id: string) {
      const s = subscription(id);
      s.status = 'CANCELLED';
      s.updateTime = new Date().toISOString();
      return subscriptionEvent(s, 'BILLING.SUBSCRIPTION.CANCELLED');
    },
    /** The buyer disputes one of the subscription's sales: PayPal names the sale as the seller's transaction. */
    disputeSale(
      saleId: string,
      type: 'CUSTOMER.DISPUTE.CREATED' | 'CUSTOMER.DISPUTE.UPDATED' | 'CUSTOMER.DISPUTE.RESOLVED',
      dispute: { id: string; status: string; outcome?: string },
    ) {
      const sale = billing.sales.get(saleId);
      if (!sale) throw new Error(`no PayPal sale ${saleId}`);
      return paypalEvent(type, 'dispute', {
        dispute_id: dispute.id,
        create_time: sale.createTime,
        update_time: new Date().toISOString(),
        disputed_transactions: [{ seller_transaction_id: sale.id, seller: { merchant_id: 'MERCHANTFAKE' }, gross_amount: sale.amount }],
        reason: 'UNAUTHORISED',
        status: dispute.status,
        dispute_amount: sale.amount,
        ...(dispute.outcome ? { dispute_outcome: { outcome_code: dispute.outcome } } : {}),
        dispute_life_cycle_stage: 'CHARGEBACK',
        dispute_channel: 'EXTERNAL',
        links: [],
      });
    },
    /** The event PayPal sends for the subscription as it stands (after a cancel of ours: CANCELLED). */
    event: (id: string, type: string) => subscriptionEvent(subscription(id), type),
  };
}

export type PaypalBillingFake = ReturnType<typeof paypalBilling>;
