/* eslint-disable @typescript-eslint/no-explicit-any -- form-encoded bodies are untyped wire data */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import qs from 'qs';
import Stripe from 'stripe';

/**
 * A faithful-enough Stripe Billing on loopback for the official SDK: Checkout in
 * subscription mode, subscriptions (retrieve, update, cancel), invoice payments and refunds,
 * with form-encoded requests, Stripe's error shape and Idempotency-Key replay. Unlike
 * stripe-mock it keeps state and records what it was asked, so tests can assert the refund
 * Stripe received. It also plays Stripe's billing clock: renew(), fail() and recover()
 * return the events Stripe would send, which tests sign and post to our webhook.
 */
export interface RecordedStripeRequest {
  method: string;
  path: string;
  body: Record<string, unknown>;
  idempotencyKey: string | undefined;
}

interface FakeSubscription {
  id: string;
  customer: string;
  status: string;
  cancel_at_period_end: boolean;
  canceled_at: number | null;
  metadata: Record<string, string>;
  periodSeconds: number;
  current_period_start: number;
  current_period_end: number;
  unit_amount: number;
  currency: string;
  latest_invoice: string | null;
  livemode: boolean;
  /** Set while collection is paused ({ behavior }). */
  pause_collection?: Record<string, string> | null;
  /** The Stripe product its price belongs to (Checkout made it from product_data). */
  product: string;
  interval: string;
  interval_count: number;
  trial_end?: number | null;
}

interface FakeRefund {
  id: string;
  payment_intent: string;
  amount: number;
  metadata: Record<string, string>;
  status: 'pending' | 'succeeded' | 'failed' | 'canceled';
  failure_reason: string | null;
  livemode: boolean;
}

interface FakeInvoice {
  id: string;
  subscription: string;
  payment_intent: string;
  amount_due: number;
  paid: boolean;
  period: { start: number; end: number };
  billing_reason: string;
  /** Proration lines of a subscription_update invoice (one line of the whole amount otherwise). */
  lines?: { amount: number; description: string; proration: boolean }[];
}

const now = () => Math.floor(Date.now() / 1000);

/** A failure to answer with instead of the real thing: an HTTP error, or a dropped connection. */
export type InjectedFailure = { status: number; body?: unknown; headers?: Record<string, string> } | 'drop';

export async function startStripeBilling() {
  const requests: RecordedStripeRequest[] = [];
  const sessions = new Map<string, Record<string, any>>();
  const subscriptions = new Map<string, FakeSubscription>();
  const invoices = new Map<string, FakeInvoice>();
  const refunds: FakeRefund[] = [];
  /** What the next refunds answer: Stripe makes some (bank transfers, some cards) later, `pending` at first. */
  let refundStatus: FakeRefund['status'] = 'succeeded';
  /** Every invoice preview Stripe computed: the subscription, the proration date, the total. */
  const previews: { subscription: string; proration_date: number; total: number }[] = [];
  /** What each payment-mode Checkout payment (its PaymentIntent) took, for refunds of one-time orders. */
  const payments = new Map<string, number>();
  const idempotent = new Map<string, { status: number; body: unknown }>();
  /** Answer these paths late: the work is done at once, only the reply waits (a lost reply). */
  const slowReplies = new Map<string, number>();
  const heldReplies = new Map<string, { until: Promise<unknown>; method: string | undefined }>();
  const failures: { pathPrefix: string; failure: InjectedFailure; left: number }[] = [];
  let counter = 0;
  /** How long a Checkout Session can be paid in (Stripe's default: 24 h); tests shorten it. */
  let sessionLifetimeSeconds = 24 * 60 * 60;
  const nextId = (prefix: string) => `${prefix}_fake${(counter += 1).toString().padStart(6, '0')}`;

  const subscriptionObject = (s: FakeSubscription, expand: string[] = []) => ({
    id: s.id,
    latest_invoice:
      s.latest_invoice && expand.includes('latest_invoice') ? invoiceObject(invoices.get(s.latest_invoice)!) : s.latest_invoice,
    object: 'subscription',
    customer: s.customer,
    status: s.status,
    cancel_at_period_end: s.cancel_at_period_end,
    canceled_at: s.canceled_at,
    trial_end: s.trial_end ?? null,
    pause_collection: s.pause_collection ?? null,
    metadata: s.metadata,
    items: {
      object: 'list',
      data: [
        {
          id: `si_${s.id}`,
          object: 'subscription_item',
          quantity: 1,
          current_period_start: s.current_period_start,
          current_period_end: s.current_period_end,
          price: {
            id: `price_${s.id}_${s.unit_amount}`,
            object: 'price',
            product: s.product,
            currency: s.currency,
            unit_amount: s.unit_amount,
            recurring: { interval: s.interval, interval_count: s.interval_count },
          },
        },
      ],
    },
  });
  const invoiceObject = (i: FakeInvoice) => {
    const s = subscriptions.get(i.subscription)!;
    return {
      id: i.id,
      object: 'invoice',
      customer: s.customer,
      currency: s.currency,
      amount_due: i.amount_due,
      amount_paid: i.paid ? i.amount_due : 0,
      billing_reason: i.billing_reason,
      status: i.paid ? 'paid' : 'open',
      status_transitions: { paid_at: i.paid ? now() : null },
      parent: { type: 'subscription_details', quote_details: null, subscription_details: { subscription: s.id, metadata: s.metadata } },
      total: i.lines ? i.lines.reduce((sum, l) => sum + l.amount, 0) : i.amount_due,
      lines: {
        object: 'list',
        data: (i.lines ?? [{ amount: i.amount_due, description: null, proration: false }]).map((l, n) => ({
          id: `il_${i.id}_${n}`,
          object: 'line_item',
          amount: l.amount,
          description: l.description,
          period: i.period,
          parent: { type: 'subscription_item_details', subscription_item_details: { proration: l.proration, subscription: s.id } },
        })),
      },
    };
  };

  /**
   * Stripe's proration of an item's price change as of `at`: the unused rest of the period at
   * the old price back as a credit, the same rest at the new price charged, to the second.
   */
  const prorate = (s: FakeSubscription, newAmount: number, at: number) => {
    const fraction = (s.current_period_end - at) / (s.current_period_end - s.current_period_start);
    return [
      { amount: -Math.round(s.unit_amount * fraction), description: 'Unused time on the previous price', proration: true },
      { amount: Math.round(newAmount * fraction), description: 'Remaining time on the new price', proration: true },
    ];
  };
  /** What an item update asks (items[0], proration date) checked as Stripe does; an error reply or the change. */
  const itemChange = (s: FakeSubscription, params: Record<string, any>): Reply | { amount: number; at: number } => {
    const item = params.items?.[0];
    if (!item || item.id !== `si_${s.id}`) return error(400, `No such subscription item: '${item?.id}'`);
    const price = item.price_data;
    if (!price || price.product !== s.product) return error(400, `No such product: '${price?.product}'`);
    if (String(price.currency) !== s.currency) return error(400, 'The price must be in the subscription’s currency.', 'currency_mismatch');
    const at = params.proration_date === undefined ? now() : Number(params.proration_date);
    if (at < s.current_period_start || at > s.current_period_end)
      return error(400, 'proration_date must be within the current subscription period.', 'parameter_invalid_integer');
    return { amount: Number(price.unit_amount), at };
  };
  const event = (type: string, object: unknown, livemode: boolean): Stripe.Event => {
    const sent = { id: nextId('evt'), object: 'event', type, created: now(), livemode, api_version: Stripe.API_VERSION, data: { object } };
    return sent as unknown as Stripe.Event;
  };

  const refundObject = (r: FakeRefund) => ({
    id: r.id,
    object: 'refund',
    amount: r.amount,
    currency: 'usd',
    payment_intent: r.payment_intent,
    metadata: r.metadata,
    status: r.status,
    failure_reason: r.failure_reason,
  });

  type Reply = { status: number; body: unknown };
  const error = (status: number, message: string, code = 'resource_missing'): Reply => ({
    status,
    body: { error: { type: 'invalid_request_error', code, message } },
  });

  function handle(method: string, path: string, body: Record<string, any>, query: Record<string, any>, livemode: boolean): Reply {
    if (method === 'POST' && path === '/v1/billing_portal/sessions') {
      if (!body.customer) return error(400, 'Missing required param: customer.');
      const id = `bps_${Math.random().toString(36).slice(2, 14)}`;
      const portal = {
        id,
        object: 'billing_portal.session',
        customer: body.customer,
        return_url: body.return_url ?? null,
        url: `https://billing.stripe.test/p/session/${id}`,
      };
      return { status: 200, body: portal };
    }
    if (method === 'POST' && path === '/v1/checkout/sessions') {
      const id = nextId(livemode ? 'cs_live' : 'cs_test');
      const items = (body.line_items ?? []) as { quantity?: string; price_data: { unit_amount: string; currency: string } }[];
      const session = {
        id,
        object: 'checkout.session',
        mode: body.mode,
        livemode,
        status: 'open',
        payment_status: 'unpaid',
        url: `https://checkout.stripe.test/c/pay/${id}`,
        success_url: body.success_url ?? null,
        cancel_url: body.cancel_url ?? null,
        client_reference_id: body.client_reference_id,
        customer_email: body.customer_email,
        metadata: body.metadata ?? {},
        // What Checkout will charge: the lines' sum, in their currency.
        amount_total: items.reduce((sum, item) => sum + Number(item.price_data.unit_amount) * Number(item.quantity ?? 1), 0),
        currency: items[0]?.price_data.currency ?? null,
        payment_intent: null,
        expires_at: now() + sessionLifetimeSeconds,
        line_items: body.line_items,
        subscription_data: body.subscription_data,
      };
      sessions.set(id, session);
      return { status: 200, body: session };
    }
    if (method === 'POST' && path === '/v1/invoices/create_preview') {
      const s = subscriptions.get(String(body.subscription));
      if (!s) return error(404, `No such subscription: '${body.subscription}'`);
      const change = itemChange(s, body.subscription_details ?? {});
      if ('status' in change) return change;
      const lines = prorate(s, change.amount, change.at);
      const total = lines.reduce((sum, l) => sum + l.amount, 0);
      const preview: FakeInvoice = {
        id: `upcoming_${s.id}`,
        subscription: s.id,
        payment_intent: '',
        amount_due: Math.max(total, 0),
        paid: false,
        period: { start: change.at, end: s.current_period_end },
        billing_reason: 'subscription_update',
        lines,
      };
      previews.push({ subscription: s.id, proration_date: change.at, total });
      return { status: 200, body: { ...invoiceObject(preview), id: undefined, status: 'draft', subscription_proration_date: change.at } };
    }
    const sub = path.match(/^\/v1\/subscriptions\/([^/]+)$/);
    if (sub) {
      const s = subscriptions.get(sub[1]!);
      if (!s) return error(404, `No such subscription: '${sub[1]}'`);
      if (method === 'GET') return { status: 200, body: subscriptionObject(s, ([] as string[]).concat(query.expand ?? [])) };
      if (method === 'POST') {
        if (s.status === 'canceled')
          return error(400, 'A canceled subscription can only update its cancellation_details and metadata.', 'subscription_canceled');
        if (body.items !== undefined) {
          // An item's new price, prorated and (always_invoice) charged at once on one invoice.
          const change = itemChange(s, body);
          if ('status' in change) return change;
          const lines = prorate(s, change.amount, change.at);
          s.unit_amount = change.amount;
          if (body.proration_behavior === 'always_invoice') {
            const total = lines.reduce((sum, l) => sum + l.amount, 0);
            const invoice = bill(s, 'subscription_update', true);
            Object.assign(invoice, { amount_due: Math.max(total, 0), lines, period: { start: change.at, end: s.current_period_end } });
          }
        }
        if (body.trial_end !== undefined) {
          // A free period until trial_end, which is when it bills (and renews from) next.
          const end = Number(body.trial_end);
          if (!(end > now())) return error(400, 'trial_end must be in the future.', 'parameter_invalid_integer');
          s.trial_end = end;
          s.status = 'trialing';
          s.current_period_end = end;
        }
        if (body.cancel_at_period_end !== undefined) s.cancel_at_period_end = body.cancel_at_period_end === 'true';
        // Form encoding: an empty string lifts the pause.
        if (body.pause_collection !== undefined) s.pause_collection = body.pause_collection === '' ? null : body.pause_collection;
        return { status: 200, body: subscriptionObject(s) };
      }
      if (method === 'DELETE') {
        if (s.status === 'canceled') return error(400, `No such subscription: '${s.id}' (already canceled)`);
        s.status = 'canceled';
        s.canceled_at = now();
        return { status: 200, body: subscriptionObject(s) };
      }
    }
    if (method === 'GET' && path === '/v1/invoice_payments') {
      // By invoice, or by the PaymentIntent that paid it (payment[type]=payment_intent&payment[payment_intent]=…).
      const byIntent = query.payment?.payment_intent as string | undefined;
      const invoice = byIntent ? [...invoices.values()].find((i) => i.payment_intent === byIntent) : invoices.get(String(query.invoice));
      const data = invoice?.paid
        ? [
            {
              id: `inpay_${invoice.id}`,
              object: 'invoice_payment',
              invoice: invoice.id,
              status: 'paid',
              amount_paid: invoice.amount_due,
              payment: { type: 'payment_intent', payment_intent: invoice.payment_intent },
            },
          ]
        : [];
      return { status: 200, body: { object: 'list', data, has_more: false, url: '/v1/invoice_payments' } };
    }
    if (method === 'POST' && path === '/v1/refunds') {
      const paid =
        [...invoices.values()].find((i) => i.payment_intent === body.payment_intent && i.paid)?.amount_due ??
        payments.get(String(body.payment_intent));
      if (paid === undefined) return error(404, `No such payment_intent: '${body.payment_intent}'`);
      const amount = body.amount === undefined ? paid : Number(body.amount);
      const already = refunds
        .filter((r) => r.payment_intent === body.payment_intent && r.status !== 'failed' && r.status !== 'canceled')
        .reduce((sum, r) => sum + r.amount, 0);
      if (amount + already > paid) return error(400, 'Refund amount is greater than unrefunded amount on charge', 'amount_too_large');
      const refund: FakeRefund = {
        id: nextId('re'),
        payment_intent: String(body.payment_intent),
        amount,
        metadata: body.metadata ?? {},
        status: refundStatus,
        failure_reason: refundStatus === 'failed' ? 'expired_or_canceled_card' : null,
        livemode,
      };
      refunds.push(refund);
      return { status: 200, body: refundObject(refund) };
    }
    return error(404, `Unrecognized request URL (${method}: ${path})`, 'unrecognized');
  }

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stripe.test');
      const body = qs.parse(raw) as Record<string, any>;
      const key = req.headers['idempotency-key'] as string | undefined;
      requests.push({ method: req.method ?? 'GET', path: url.pathname, body, idempotencyKey: key });
      // Injected failures answer before anything happens (and are never replayed by idempotency).
      const injected = failures.find((f) => f.left > 0 && url.pathname.startsWith(f.pathPrefix));
      if (injected) {
        injected.left -= 1;
        if (injected.failure === 'drop') return void req.socket.destroy();
        const { status, body: failureBody, headers } = injected.failure;
        res.writeHead(status, { 'content-type': 'application/json', 'request-id': nextId('req'), ...headers });
        return void res.end(JSON.stringify(failureBody ?? { error: { type: 'api_error', message: `Injected ${status}` } }));
      }
      // The key's mode is the mode of everything it creates.
      const livemode = /^Bearer (sk|rk)_live_/.test(req.headers.authorization ?? '');
      const replay = key ? idempotent.get(key) : undefined;
      const result = replay ?? handle(req.method ?? 'GET', url.pathname, body, qs.parse(url.search.slice(1)), livemode);
      if (key && !replay) idempotent.set(key, result);
      const delay = [...slowReplies].find(([prefix]) => url.pathname.startsWith(prefix))?.[1] ?? 0;
      const held = [...heldReplies].find(
        ([prefix, hold]) => url.pathname.startsWith(prefix) && (hold.method === undefined || hold.method === req.method),
      )?.[1].until;
      const reply = () => {
        if (res.destroyed) return;
        res.writeHead(result.status, { 'content-type': 'application/json', 'request-id': nextId('req') });
        res.end(JSON.stringify(result.body));
      };
      if (held) void held.then(reply, reply);
      else setTimeout(reply, delay);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  function bill(s: FakeSubscription, reason: string, paid: boolean): FakeInvoice {
    const invoice: FakeInvoice = {
      id: nextId('in'),
      subscription: s.id,
      payment_intent: nextId('pi'),
      amount_due: s.unit_amount,
      paid,
      period: { start: s.current_period_start, end: s.current_period_end },
      billing_reason: reason,
    };
    invoices.set(invoice.id, invoice);
    s.latest_invoice = invoice.id;
    return invoice;
  }

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    refunds,
    previews,
    subscription: (id: string) => subscriptions.get(id),
    /** Sessions created from now on expire this many seconds after (an answer replayed by its idempotency key keeps its own). */
    setSessionLifetime(seconds: number) {
      sessionLifetimeSeconds = seconds;
    },
    /** A Checkout Session as Stripe keeps it (its success_url, for a page that plays Stripe's). */
    checkoutSession: (id: string) => sessions.get(id),
    /** A subscription's invoices as Stripe holds them, oldest first. */
    invoicesOf: (subscriptionId: string) => [...invoices.values()].filter((i) => i.subscription === subscriptionId).map(invoiceObject),
    /** The buyer pays the Checkout Session: Stripe creates the subscription and its first invoice. */
    completeCheckout(sessionId: string, periodSeconds: number) {
      const session = sessions.get(sessionId);
      if (!session) throw new Error(`No session ${sessionId}`);
      const start = now();
      const item = session.line_items[0];
      const s: FakeSubscription = {
        id: nextId('sub'),
        customer: nextId('cus'),
        status: 'active',
        cancel_at_period_end: false,
        canceled_at: null,
        metadata: session.subscription_data?.metadata ?? {},
        periodSeconds,
        current_period_start: start,
        current_period_end: start + periodSeconds,
        unit_amount: Number(item.price_data.unit_amount) * Number(item.quantity ?? 1),
        currency: item.price_data.currency,
        product: nextId('prod'),
        interval: item.price_data.recurring?.interval ?? 'month',
        interval_count: Number(item.price_data.recurring?.interval_count ?? 1),
        latest_invoice: null,
        livemode: session.livemode,
      };
      subscriptions.set(s.id, s);
      const invoice = bill(s, 'subscription_create', true);
      const completed = {
        ...session,
        status: 'complete',
        payment_status: 'paid',
        subscription: s.id,
        customer: s.customer,
        invoice: invoice.id,
        payment_intent: null,
      };
      return {
        subscriptionId: s.id,
        invoiceId: invoice.id,
        events: {
          checkoutCompleted: event('checkout.session.completed', completed, s.livemode),
          created: event('customer.subscription.created', subscriptionObject(s), s.livemode),
          invoicePaid: event('invoice.paid', invoiceObject(invoice), s.livemode),
        },
      };
    },
    /**
     * The buyer pays a payment-mode Checkout Session: the checkout.session.completed Stripe sends.
     * `change` bends what Stripe reports (another amount, currency or mode) to play a mismatch.
     */
    payCheckout(sessionId: string, change: { amount_total?: number; currency?: string; livemode?: boolean } = {}) {
      const session = sessions.get(sessionId);
      if (!session) throw new Error(`No session ${sessionId}`);
      const paymentIntent = nextId('pi');
      const { livemode = session.livemode as boolean, ...fields } = change;
      const completed = { ...session, status: 'complete', payment_status: 'paid', payment_intent: paymentIntent, livemode, ...fields };
      payments.set(paymentIntent, Number(completed.amount_total));
      return { paymentIntent, event: event('checkout.session.completed', completed, livemode) };
    },
    /** What refunds made from now on answer at once (`succeeded` unless told; `pending` ones wait for settleRefund). */
    answerRefunds(status: FakeRefund['status']) {
      refundStatus = status;
    },
    /** Stripe finishes a refund (succeeded, or it failed or was canceled): the charge.refund.updated it sends. */
    settleRefund(refundId: string, status: 'succeeded' | 'failed' | 'canceled', failureReason: string | null = null) {
      const refund = refunds.find((r) => r.id === refundId);
      if (!refund) throw new Error(`No refund ${refundId}`);
      refund.status = status;
      refund.failure_reason = status === 'succeeded' ? null : (failureReason ?? 'unknown');
      return event('charge.refund.updated', refundObject(refund), refund.livemode);
    },
    /** Answers the next `times` requests under `pathPrefix` with `failure`. */
    failRequests(pathPrefix: string, failure: InjectedFailure, times = 1) {
      failures.push({ pathPrefix, failure, left: times });
    },
    clearFailures() {
      failures.length = 0;
    },
    /** The period rolls over and Stripe charges the next one, successfully or not. */
    renew(subscriptionId: string, outcome: 'paid' | 'failed' = 'paid') {
      const s = subscriptions.get(subscriptionId)!;
      if (s.status === 'trialing') s.status = 'active';
      s.current_period_start = s.current_period_end;
      s.current_period_end = s.current_period_start + s.periodSeconds;
      const invoice = bill(s, 'subscription_cycle', outcome === 'paid');
      if (outcome === 'failed') s.status = 'past_due';
      return {
        invoiceId: invoice.id,
        events: {
          updated: event('customer.subscription.updated', subscriptionObject(s), s.livemode),
          invoice: event(outcome === 'paid' ? 'invoice.paid' : 'invoice.payment_failed', invoiceObject(invoice), s.livemode),
        },
      };
    },
    /**
     * The current period ends now and Stripe charges the next one. Stripe's clock is in seconds: a
     * period that began this second is renewed once the clock reaches the next one, so the renewed
     * period both starts by now (a preview of a change is prorated within it) and ends later than
     * the one it follows (a same-second renewal would be no renewal at all).
     */
    async renewNow(subscriptionId: string, outcome: 'paid' | 'failed' = 'paid') {
      const s = subscriptions.get(subscriptionId)!;
      while (now() <= s.current_period_start) await new Promise((resolve) => setTimeout(resolve, 50));
      s.current_period_end = now();
      return this.renew(subscriptionId, outcome);
    },
    /** A retry of the open invoice succeeds (the customer updated their card). */
    recover(subscriptionId: string) {
      const s = subscriptions.get(subscriptionId)!;
      const open = [...invoices.values()].filter((i) => i.subscription === s.id && !i.paid).at(-1)!;
      open.paid = true;
      s.status = 'active';
      return {
        events: {
          invoicePaid: event('invoice.paid', invoiceObject(open), s.livemode),
          updated: event('customer.subscription.updated', subscriptionObject(s), s.livemode),
        },
      };
    },
    /** What Stripe sends once a subscription is canceled. */
    deletedEvent(subscriptionId: string) {
      const s = subscriptions.get(subscriptionId)!;
      return event('customer.subscription.deleted', subscriptionObject(s), s.livemode);
    },
    /** Replies to requests under `pathPrefix` after `ms` (the request itself takes effect at once). */
    slowReplies(pathPrefix: string, ms: number) {
      slowReplies.set(pathPrefix, ms);
    },
    /**
     * Replies to requests under `pathPrefix` (only `method`'s, when given) once `until` settles; the
     * request itself takes effect at once. Null lets them go.
     */
    holdReplies(pathPrefix: string, until: Promise<unknown> | null, method?: string) {
      if (until) heldReplies.set(pathPrefix, { until, method });
      else heldReplies.delete(pathPrefix);
    },
    /** Changes Stripe's side behind our back (for reconciliation). */
    mutate(subscriptionId: string, change: Partial<FakeSubscription>) {
      Object.assign(subscriptions.get(subscriptionId)!, change);
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type StripeBilling = Awaited<ReturnType<typeof startStripeBilling>>;
