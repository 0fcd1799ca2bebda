/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies are untyped wire data */
import { createSign, createVerify, generateKeyPairSync, randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import express, { type NextFunction, type Request, type Response, Router } from 'express';
import { billingRoutes } from './paypal-billing';

/**
 * PayPal's REST API on loopback for the official server SDK (@paypal/paypal-server-sdk),
 * written from PayPal's public API reference: OAuth 2.0 client credentials
 * (POST /v1/oauth2/token), Orders v2 (create, show, capture), Payments v2 (show capture,
 * refund, show refund) and Webhooks v1 (show webhook details, verify-webhook-signature). It keeps state per REST app (live or
 * sandbox), replays a repeated PayPal-Request-Id with the first answer, answers errors in
 * PayPal's shape ({ name, message, debug_id, details[{ issue, description }] }) and records
 * every request. The test stands in for the buyer (approve) and for PayPal's back office
 * (settle a pending capture or refund, deny or fail it, open a dispute); the events PayPal would send for those are
 * built by event() and signed by deliver() with PayPal's transmission scheme.
 *
 * Route groups are separate routers over one state (createPaypalState): a later group (billing
 * plans and subscriptions, /v1/billing) is another `xxxRoutes(state)` mounted in buildPaypalApp.
 */
export type FakePaypalMode = 'live' | 'sandbox';

export interface FakePaypalApp {
  clientId: string;
  clientSecret: string;
  mode: FakePaypalMode;
}

/** A webhook set up on a REST app in PayPal's dashboard: PayPal knows its id only to that app. */
export interface FakeWebhook {
  id: string;
  clientId: string;
  url: string;
  /** The events it is subscribed to; `*` is every event. */
  eventTypes: string[];
}

export interface RecordedPaypalRequest {
  method: string;
  path: string;
  body: any;
  requestId: string | undefined;
  /** The REST app whose token authorized it (undefined for the token request). */
  clientId: string | undefined;
}

export interface FakeCapture {
  id: string;
  orderId: string;
  clientId: string;
  status: 'COMPLETED' | 'PENDING' | 'DECLINED' | 'REFUNDED' | 'PARTIALLY_REFUNDED';
  statusReason?: string;
  amount: { currency_code: string; value: string };
  customId?: string;
  invoiceId?: string;
  refundedCents: number;
  createTime: string;
  updateTime: string;
}

export interface FakeOrder {
  id: string;
  clientId: string;
  mode: FakePaypalMode;
  status: 'CREATED' | 'PAYER_ACTION_REQUIRED' | 'APPROVED' | 'COMPLETED' | 'VOIDED';
  intent: string;
  purchaseUnits: any[];
  experience: any;
  captureId?: string;
  createTime: string;
}

/** How the next capture of an order turns out (PayPal decides; the test plays PayPal). */
export type CaptureOutcome =
  | { status: 'COMPLETED' }
  | { status: 'PENDING'; reason: string }
  | { status: 'DECLINED' }
  /** PayPal refuses the capture (422 INSTRUMENT_DECLINED): the buyer must approve again with another funding source. */
  | { status: 'INSTRUMENT_DECLINED' };

export interface FakeRefund {
  id: string;
  captureId: string;
  status: 'COMPLETED' | 'PENDING' | 'FAILED' | 'CANCELLED';
  /** status_details.reason of a PENDING or FAILED refund. */
  statusReason?: string;
  amount: { currency_code: string; value: string };
  invoiceId?: string;
  customId?: string;
  noteToPayer?: string;
}

/** PayPal holds the next refund (an eCheck to clear, a balance to top up), until completeRefund or failRefund. */
export type RefundOutcome = { status: 'PENDING'; reason: string };

export interface PaypalState {
  apps: Map<string, FakePaypalApp>;
  webhooks: Map<string, FakeWebhook>;
  tokens: Map<string, string>;
  orders: Map<string, FakeOrder>;
  captures: Map<string, FakeCapture>;
  refunds: FakeRefund[];
  captureOutcomes: Map<string, CaptureOutcome>;
  /** How the next refund of a capture turns out, by capture id (absent: COMPLETED at once). */
  refundOutcomes: Map<string, RefundOutcome>;
  /** Answers already given, by app, path and PayPal-Request-Id. */
  replays: Map<string, { status: number; body: unknown }>;
  /** Transmissions deliver() signed: what verify-webhook-signature checks against. */
  requests: RecordedPaypalRequest[];
  signingKey: { privateKey: string; publicKey: string };
  nextId: (prefix: string) => string;
  /** Replies to lose: the work is done, the caller gets a 503 instead (a reply lost on the way back). */
  lostReplies: { pathSuffix: string; left: number }[];
  /** Paths (by suffix) PayPal answers 503 without doing anything, until restored. */
  outages: Set<string>;
  /** Paths (by suffix) PayPal is slow on: their requests are recorded, then wait for release before PayPal does anything. */
  holds: Map<string, Promise<void>>;
}

export function createPaypalState(): PaypalState {
  let counter = 0;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return {
    apps: new Map(),
    webhooks: new Map(),
    tokens: new Map(),
    orders: new Map(),
    captures: new Map(),
    refunds: [],
    captureOutcomes: new Map(),
    refundOutcomes: new Map(),
    replays: new Map(),
    requests: [],
    signingKey: { privateKey, publicKey },
    lostReplies: [],
    outages: new Set(),
    holds: new Map(),
    // PayPal ids are 17 upper-case alphanumerics.
    nextId: (prefix) => `${prefix}${(counter += 1).toString().padStart(17 - prefix.length, '0')}`,
  };
}

const debugId = () => randomUUID().replace(/-/g, '').slice(0, 13);

/** PayPal's error body. */
export function paypalError(res: Response, status: number, name: string, message: string, details?: object[]) {
  res.status(status).json({ name, message, debug_id: debugId(), ...(details ? { details } : {}) });
}

const unprocessable = (res: Response, issue: string, description: string) =>
  paypalError(
    res,
    422,
    'UNPROCESSABLE_ENTITY',
    'The requested action could not be performed, semantically incorrect, or failed business validation.',
    [{ issue, description }],
  );
const notFound = (res: Response) =>
  paypalError(res, 404, 'RESOURCE_NOT_FOUND', 'The specified resource does not exist.', [
    { issue: 'INVALID_RESOURCE_ID', description: 'Specified resource ID does not exist. Please check the resource ID and try again.' },
  ]);
const invalidRequest = (res: Response, field: string, issue: string, description: string) =>
  paypalError(res, 400, 'INVALID_REQUEST', 'Request is not well-formed, syntactically incorrect, or violates schema.', [
    { field, location: 'body', issue, description },
  ]);

/** The REST app a request's bearer token belongs to; 401 in PayPal's words otherwise. */
function authorized(state: PaypalState) {
  return (req: Request, res: Response, next: NextFunction) => {
    const token = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
    const clientId = token ? state.tokens.get(token) : undefined;
    if (!clientId) {
      res.status(401).json({ error: 'invalid_token', error_description: 'Token signature verification failed' });
      return;
    }
    res.locals.app = state.apps.get(clientId);
    next();
  };
}

const appOf = (res: Response) => res.locals.app as FakePaypalApp;

/** A repeated PayPal-Request-Id gets the first answer (PayPal keeps them for hours). */
function idempotent(state: PaypalState, req: Request, res: Response, run: () => { status: number; body: unknown } | undefined) {
  const requestId = req.get('paypal-request-id');
  const key = requestId ? `${appOf(res).clientId} ${req.path} ${requestId}` : null;
  const earlier = key ? state.replays.get(key) : undefined;
  if (earlier) return void res.status(earlier.status).json(earlier.body);
  const answer = run();
  if (!answer) return;
  if (key && answer.status < 300) state.replays.set(key, answer);
  res.status(answer.status).json(answer.body);
}

const cents = (value: string) => Math.round(Number(value) * 100);
const money = (currency: string, minor: number) => ({ currency_code: currency, value: (minor / 100).toFixed(2) });
const webOrigin = (mode: FakePaypalMode) => (mode === 'live' ? 'https://www.paypal.com' : 'https://www.sandbox.paypal.com');
const apiOrigin = (mode: FakePaypalMode) => (mode === 'live' ? 'https://api-m.paypal.com' : 'https://api-m.sandbox.paypal.com');

export function captureJson(state: PaypalState, capture: FakeCapture) {
  const app = state.apps.get(capture.clientId);
  const self = `${apiOrigin(app?.mode ?? 'sandbox')}/v2/payments/captures/${capture.id}`;
  return {
    id: capture.id,
    status: capture.status,
    ...(capture.statusReason ? { status_details: { reason: capture.statusReason } } : {}),
    amount: capture.amount,
    final_capture: true,
    seller_protection: { status: 'ELIGIBLE', dispute_categories: ['ITEM_NOT_RECEIVED', 'UNAUTHORIZED_TRANSACTION'] },
    ...(capture.customId ? { custom_id: capture.customId } : {}),
    ...(capture.invoiceId ? { invoice_id: capture.invoiceId } : {}),
    supplementary_data: { related_ids: { order_id: capture.orderId } },
    create_time: capture.createTime,
    update_time: capture.updateTime,
    links: [
      { href: self, rel: 'self', method: 'GET' },
      { href: `${self}/refund`, rel: 'refund', method: 'POST' },
    ],
  };
}

/** A refund as PayPal shows it (and sends it in PAYMENT.CAPTURE.REFUNDED): its capture linked as `up`, the capture's refunded total. */
export function refundJson(state: PaypalState, refund: FakeRefund) {
  const capture = state.captures.get(refund.captureId);
  const mode = state.apps.get(capture?.clientId ?? '')?.mode ?? 'sandbox';
  const currency = refund.amount.currency_code;
  return {
    id: refund.id,
    status: refund.status,
    ...(refund.statusReason ? { status_details: { reason: refund.statusReason } } : {}),
    amount: refund.amount,
    ...(refund.invoiceId ? { invoice_id: refund.invoiceId } : {}),
    ...(refund.customId ? { custom_id: refund.customId } : {}),
    seller_payable_breakdown: {
      gross_amount: refund.amount,
      total_refunded_amount: money(currency, capture?.refundedCents ?? cents(refund.amount.value)),
    },
    create_time: new Date().toISOString(),
    links: [
      { href: `${apiOrigin(mode)}/v2/payments/refunds/${refund.id}`, rel: 'self', method: 'GET' },
      { href: `${apiOrigin(mode)}/v2/payments/captures/${refund.captureId}`, rel: 'up', method: 'GET' },
    ],
  };
}

export function orderJson(state: PaypalState, order: FakeOrder) {
  const self = `${apiOrigin(order.mode)}/v2/checkout/orders/${order.id}`;
  const capture = order.captureId ? state.captures.get(order.captureId) : undefined;
  const approve = order.experience ? 'payer-action' : 'approve';
  return {
    id: order.id,
    intent: order.intent,
    status: order.status,
    create_time: order.createTime,
    purchase_units: order.purchaseUnits.map((unit: any) => ({
      reference_id: unit.reference_id ?? 'default',
      amount: unit.amount,
      ...(unit.custom_id ? { custom_id: unit.custom_id } : {}),
      ...(unit.invoice_id ? { invoice_id: unit.invoice_id } : {}),
      ...(unit.description ? { description: unit.description } : {}),
      payee: { merchant_id: `MERCHANT${order.clientId.slice(0, 8).toUpperCase()}` },
      ...(capture ? { payments: { captures: [captureJson(state, capture)] } } : {}),
    })),
    ...(order.status === 'APPROVED' || order.status === 'COMPLETED'
      ? { payer: { payer_id: 'FAKEPAYER0001', email_address: 'buyer@example.com', name: { given_name: 'Fake', surname: 'Buyer' } } }
      : {}),
    links: [
      { href: self, rel: 'self', method: 'GET' },
      ...(order.status === 'CREATED' || order.status === 'PAYER_ACTION_REQUIRED'
        ? [{ href: `${webOrigin(order.mode)}/checkoutnow?token=${order.id}`, rel: approve, method: 'GET' }]
        : []),
      { href: self, rel: 'update', method: 'PATCH' },
      { href: `${self}/capture`, rel: 'capture', method: 'POST' },
    ],
  };
}

/** POST /v1/oauth2/token: client credentials in HTTP Basic auth, form-encoded grant_type. */
export function oauthRoutes(state: PaypalState): Router {
  const router = Router();
  router.post('/v1/oauth2/token', express.urlencoded({ extended: false }), (req, res) => {
    const basic = /^Basic (.+)$/.exec(req.get('authorization') ?? '')?.[1];
    const [clientId, clientSecret] = basic ? Buffer.from(basic, 'base64').toString().split(':') : [];
    const app = clientId ? state.apps.get(clientId) : undefined;
    if (!app || app.clientSecret !== clientSecret) {
      res.status(401).json({ error: 'invalid_client', error_description: 'Client Authentication failed' });
      return;
    }
    if (req.body?.grant_type !== 'client_credentials') {
      res.status(400).json({ error: 'unsupported_grant_type', error_description: 'Grant Type is NULL' });
      return;
    }
    const token = `A21AA${randomUUID().replace(/-/g, '')}`;
    state.tokens.set(token, app.clientId);
    res.json({
      scope: 'https://uri.paypal.com/services/payments/payment https://uri.paypal.com/services/applications/webhooks',
      access_token: token,
      token_type: 'Bearer',
      app_id: `APP-${app.clientId.slice(0, 10).toUpperCase()}`,
      expires_in: 32400,
      nonce: `${new Date().toISOString()}${randomUUID().slice(0, 8)}`,
    });
  });
  return router;
}

const AMOUNT = /^((-?[0-9]+)|(-?([0-9]+)?[.][0-9]+))$/;

/** Orders v2: create, show, capture. */
export function orderRoutes(state: PaypalState): Router {
  const router = Router();
  router.use('/v2/checkout/orders', authorized(state));
  router.post('/v2/checkout/orders', (req, res) =>
    idempotent(state, req, res, () => {
      const body = req.body ?? {};
      if (body.intent !== 'CAPTURE' && body.intent !== 'AUTHORIZE')
        return void invalidRequest(res, '/intent', 'INVALID_PARAMETER_VALUE', 'The value of a field is invalid.');
      const units: any[] = Array.isArray(body.purchase_units) ? body.purchase_units : [];
      if (units.length === 0)
        return void invalidRequest(res, '/purchase_units', 'MISSING_REQUIRED_PARAMETER', 'A required field is missing.');
      for (const [i, unit] of units.entries()) {
        if (!/^[A-Z]{3}$/.test(unit?.amount?.currency_code ?? ''))
          return void invalidRequest(
            res,
            `/purchase_units/@reference_id=='${unit?.reference_id ?? i}'/amount/currency_code`,
            'MISSING_REQUIRED_PARAMETER',
            'A required field is missing.',
          );
        if (!AMOUNT.test(unit.amount.value ?? '') || cents(unit.amount.value) <= 0)
          return void invalidRequest(
            res,
            `/purchase_units/@reference_id=='${unit?.reference_id ?? i}'/amount/value`,
            'INVALID_PARAMETER_VALUE',
            'The value of a field is invalid.',
          );
      }
      const experience = body.payment_source?.paypal?.experience_context ?? null;
      const order: FakeOrder = {
        id: state.nextId('5O'),
        clientId: appOf(res).clientId,
        mode: appOf(res).mode,
        // With a payment source PayPal answers PAYER_ACTION_REQUIRED and a payer-action link.
        status: experience ? 'PAYER_ACTION_REQUIRED' : 'CREATED',
        intent: body.intent,
        purchaseUnits: units,
        experience,
        createTime: new Date().toISOString(),
      };
      state.orders.set(order.id, order);
      return { status: 201, body: orderJson(state, order) };
    }),
  );
  const ownOrder = (req: Request, res: Response) => {
    const order = state.orders.get(String(req.params.id));
    return order && order.clientId === appOf(res).clientId ? order : undefined;
  };
  router.get('/v2/checkout/orders/:id', (req, res) => {
    const order = ownOrder(req, res);
    if (!order) return notFound(res);
    res.json(orderJson(state, order));
  });
  router.post('/v2/checkout/orders/:id/capture', (req, res) =>
    idempotent(state, req, res, () => {
      const order = ownOrder(req, res);
      if (!order) return void notFound(res);
      if (order.status === 'COMPLETED')
        return void unprocessable(
          res,
          'ORDER_ALREADY_CAPTURED',
          "Order already captured.If 'intent=CAPTURE' only one capture per order is allowed.",
        );
      if (order.status !== 'APPROVED')
        return void unprocessable(
          res,
          'ORDER_NOT_APPROVED',
          "Payer has not yet approved the Order for payment. Please redirect the payer to the 'rel':'approve' url returned as part of the HATEOAS links within the Create Order call or provide a valid payment_source in the request.",
        );
      // PayPal refuses an invoice_id the app was already paid under (its default "block duplicate invoice ids").
      const invoiceId = order.purchaseUnits[0]?.invoice_id;
      const paidBefore = [...state.captures.values()].some(
        (c) => c.clientId === order.clientId && c.orderId !== order.id && invoiceId !== undefined && c.invoiceId === invoiceId,
      );
      if (paidBefore) return void unprocessable(res, 'DUPLICATE_INVOICE_ID', 'Duplicate Invoice ID detected.');
      const outcome = state.captureOutcomes.get(order.id) ?? { status: 'COMPLETED' };
      if (outcome.status === 'INSTRUMENT_DECLINED') {
        // PayPal's documented recovery: the payer goes back to the approval link and picks another source.
        state.captureOutcomes.delete(order.id);
        order.status = 'PAYER_ACTION_REQUIRED';
        res.status(422).json({
          name: 'UNPROCESSABLE_ENTITY',
          message: 'The requested action could not be performed, semantically incorrect, or failed business validation.',
          debug_id: debugId(),
          details: [
            {
              issue: 'INSTRUMENT_DECLINED',
              description: "The instrument presented  was either declined by the processor or bank, or it can't be used for this payment.",
            },
          ],
          links: [{ href: `${webOrigin(order.mode)}/checkoutnow?token=${order.id}`, rel: 'redirect', method: 'GET' }],
        });
        return undefined;
      }
      const unit = order.purchaseUnits[0];
      const now = new Date().toISOString();
      const capture: FakeCapture = {
        id: state.nextId('3C'),
        orderId: order.id,
        clientId: order.clientId,
        status: outcome.status,
        ...(outcome.status === 'PENDING' ? { statusReason: outcome.reason } : {}),
        amount: unit.amount,
        customId: unit.custom_id,
        invoiceId: unit.invoice_id,
        refundedCents: 0,
        createTime: now,
        updateTime: now,
      };
      state.captures.set(capture.id, capture);
      order.captureId = capture.id;
      order.status = 'COMPLETED';
      return { status: 201, body: orderJson(state, order) };
    }),
  );
  return router;
}

/** Payments v2: show a capture, refund it (whole or in part), show a refund. */
export function paymentRoutes(state: PaypalState): Router {
  const router = Router();
  router.use('/v2/payments', authorized(state));
  const ownCapture = (req: Request, res: Response) => {
    const capture = state.captures.get(String(req.params.id));
    return capture && capture.clientId === appOf(res).clientId ? capture : undefined;
  };
  router.get('/v2/payments/captures/:id', (req, res) => {
    const capture = ownCapture(req, res);
    if (!capture) return notFound(res);
    res.json(captureJson(state, capture));
  });
  router.post('/v2/payments/captures/:id/refund', (req, res) =>
    idempotent(state, req, res, () => {
      const capture = ownCapture(req, res);
      if (!capture) return void notFound(res);
      if (capture.status !== 'COMPLETED' && capture.status !== 'PARTIALLY_REFUNDED')
        return void unprocessable(res, 'CAPTURE_FULLY_REFUNDED', 'The capture has already been fully refunded or is not refundable.');
      const total = cents(capture.amount.value);
      const asked = req.body?.amount;
      if (asked && asked.currency_code !== capture.amount.currency_code)
        return void unprocessable(res, 'REFUND_CURRENCY_MISMATCH', 'Refund must be in the same currency as the capture.');
      const amount = asked ? cents(asked.value) : total - capture.refundedCents;
      if (!(amount > 0) || capture.refundedCents + amount > total)
        return void unprocessable(
          res,
          'REFUND_AMOUNT_EXCEEDED',
          'The refund amount must be less than or equal to the capture amount that has not yet been refunded.',
        );
      // A pending refund holds its amount: nothing more than what is left can be refunded meanwhile.
      capture.refundedCents += amount;
      capture.status = capture.refundedCents === total ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
      capture.updateTime = new Date().toISOString();
      const outcome = state.refundOutcomes.get(capture.id);
      state.refundOutcomes.delete(capture.id);
      const refund: FakeRefund = {
        id: state.nextId('1R'),
        captureId: capture.id,
        status: outcome?.status ?? 'COMPLETED',
        ...(outcome ? { statusReason: outcome.reason } : {}),
        amount: money(capture.amount.currency_code, amount),
        invoiceId: req.body?.invoice_id,
        customId: req.body?.custom_id,
        noteToPayer: req.body?.note_to_payer,
      };
      state.refunds.push(refund);
      return { status: 201, body: refundJson(state, refund) };
    }),
  );
  router.get('/v2/payments/refunds/:id', (req, res) => {
    const refund = state.refunds.find((r) => r.id === String(req.params.id));
    if (!refund || state.captures.get(refund.captureId)?.clientId !== appOf(res).clientId) return notFound(res);
    res.json(refundJson(state, refund));
  });
  return router;
}

/** The string PayPal signs for a transmission: id|time|webhook id|CRC32 of the raw body (decimal). */
const signedString = (transmissionId: string, time: string, webhookId: string, rawBody: string) =>
  `${transmissionId}|${time}|${webhookId}|${crc32(Buffer.from(rawBody))}`;

const CERT_URL = 'https://api.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-fake';

/**
 * The exact text of a top-level member's value in a JSON object's text (null: none): scanned,
 * strings and nesting respected, so the bytes are the sender's, whatever their spacing or escapes.
 */
function rawMemberText(json: string, name: string): string | null {
  let depth = 0;
  let i = 0;
  const skipString = (from: number) => {
    let j = from + 1;
    while (j < json.length && json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
    return j + 1;
  };
  while (i < json.length) {
    const ch = json[i]!;
    if (ch === '"') {
      const end = skipString(i);
      if (depth === 1 && JSON.parse(json.slice(i, end)) === name && /^\s*:/.test(json.slice(end))) {
        let start = end + json.slice(end).indexOf(':') + 1;
        while (/\s/.test(json[start] ?? '')) start += 1;
        let j = start;
        let nested = 0;
        do {
          if (json[j] === '"') {
            j = skipString(j);
            continue;
          }
          if (json[j] === '{' || json[j] === '[') nested += 1;
          if (json[j] === '}' || json[j] === ']') nested -= 1;
          j += 1;
        } while (j < json.length && (nested > 0 || !/[,}\s]/.test(json[j] ?? '')));
        return json.slice(start, j);
      }
      i = end;
      continue;
    }
    if (ch === '{' || ch === '[') depth += 1;
    if (ch === '}' || ch === ']') depth -= 1;
    i += 1;
  }
  return null;
}

/** Webhooks v1: show webhook details, verify-webhook-signature (the webhook event's bytes as the request carries them). */
export function notificationRoutes(state: PaypalState): Router {
  const router = Router();
  router.use('/v1/notifications', authorized(state));
  router.get('/v1/notifications/webhooks/:id', (req, res) => {
    const webhook = state.webhooks.get(String(req.params.id));
    // Another app's webhook is as unknown as no webhook.
    if (!webhook || webhook.clientId !== appOf(res).clientId) return notFound(res);
    const self = `${apiOrigin(appOf(res).mode)}/v1/notifications/webhooks/${webhook.id}`;
    res.json({
      id: webhook.id,
      url: webhook.url,
      event_types: webhook.eventTypes.map((name) => ({ name, description: name === '*' ? 'ALL' : name, status: 'ENABLED' })),
      links: [
        { href: self, rel: 'self', method: 'GET' },
        { href: self, rel: 'update', method: 'PATCH' },
        { href: self, rel: 'delete', method: 'DELETE' },
      ],
    });
  });
  router.post('/v1/notifications/verify-webhook-signature', (req, res) => {
    const body = req.body ?? {};
    for (const field of ['auth_algo', 'cert_url', 'transmission_id', 'transmission_sig', 'transmission_time', 'webhook_id'])
      if (typeof body[field] !== 'string' || body[field] === '')
        return invalidRequest(res, `/${field}`, 'MISSING_REQUIRED_PARAMETER', 'A required field is missing.');
    if (!body.webhook_event || typeof body.webhook_event !== 'object')
      return invalidRequest(res, '/webhook_event', 'MISSING_REQUIRED_PARAMETER', 'A required field is missing.');
    const verifier = createVerify('RSA-SHA256');
    // PayPal checks the event's bytes as it sent them: the request's raw webhook_event text, not a re-serialisation.
    const rawEvent = rawMemberText((req as Request & { rawBody?: string }).rawBody ?? '', 'webhook_event');
    if (rawEvent === null) return invalidRequest(res, '/webhook_event', 'MISSING_REQUIRED_PARAMETER', 'A required field is missing.');
    verifier.update(signedString(body.transmission_id, body.transmission_time, body.webhook_id, rawEvent));
    let valid: boolean;
    try {
      valid =
        body.auth_algo === 'SHA256withRSA' &&
        body.cert_url === CERT_URL &&
        verifier.verify(state.signingKey.publicKey, body.transmission_sig, 'base64');
    } catch {
      // A signature that is not base64 of the key's size.
      valid = false;
    }
    res.json({ verification_status: valid ? 'SUCCESS' : 'FAILURE' });
  });
  return router;
}

/** Every route group over one state, recording what it was asked. */
export function buildPaypalApp(state: PaypalState): express.Express {
  const app = express();
  app.use(
    express.json({
      limit: '1mb',
      // verify-webhook-signature checks the event's own bytes.
      verify: (req, _res, buf) => void ((req as { rawBody?: string }).rawBody = buf.toString('utf8')),
    }),
  );
  app.use((req, res, next) => {
    const token = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
    state.requests.push({
      method: req.method,
      path: req.path,
      body: req.body,
      requestId: req.get('paypal-request-id'),
      clientId: token ? state.tokens.get(token) : undefined,
    });
    if ([...state.outages].some((suffix) => req.path.endsWith(suffix)))
      return void res.status(503).json({ name: 'SERVICE_UNAVAILABLE', message: 'Service Unavailable.', debug_id: debugId() });
    const held = [...state.holds].find(([suffix]) => req.path.endsWith(suffix))?.[1];
    if (held) return void held.then(() => next());
    const lost = state.lostReplies.find((l) => l.left > 0 && req.path.endsWith(l.pathSuffix));
    if (lost) {
      const send = res.json.bind(res);
      res.json = (body: unknown) => {
        if (res.statusCode >= 300) return send(body);
        lost.left -= 1;
        res.status(503);
        return send({ name: 'SERVICE_UNAVAILABLE', message: 'Service Unavailable.', debug_id: debugId() });
      };
      // A 204 No Content (suspend, activate, cancel) is lost the same way.
      const sendStatus = res.sendStatus.bind(res);
      res.sendStatus = (code: number) => {
        if (code >= 300) return sendStatus(code);
        return res.json({});
      };
    }
    next();
  });
  app.use(oauthRoutes(state));
  app.use(orderRoutes(state));
  app.use(paymentRoutes(state));
  app.use(notificationRoutes(state));
  app.use(billingRoutes(state));
  app.use((_req: Request, res: Response) => notFound(res));
  return app;
}

/** A webhook event as PayPal sends it. */
export function paypalEvent(eventType: string, resourceType: string, resource: object, summary = eventType) {
  return {
    id: `WH-${randomUUID().slice(0, 8).toUpperCase()}-${randomUUID().slice(0, 17).replace(/-/g, '').toUpperCase()}`,
    event_version: '1.0',
    create_time: new Date().toISOString(),
    resource_type: resourceType,
    resource_version: '2.0',
    event_type: eventType,
    summary,
    resource,
    links: [],
  };
}

export async function startPaypalFake() {
  const state = createPaypalState();
  const server: http.Server = await new Promise((resolve) => {
    const s = buildPaypalApp(state).listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const order = (id: string) => {
    const found = state.orders.get(id);
    if (!found) throw new Error(`no PayPal order ${id}`);
    return found;
  };
  const capture = (id: string) => {
    const found = state.captures.get(id);
    if (!found) throw new Error(`no PayPal capture ${id}`);
    return found;
  };
  const refund = (id: string) => {
    const found = state.refunds.find((r) => r.id === id);
    if (!found) throw new Error(`no PayPal refund ${id}`);
    return found;
  };
  const orderEvent = (o: FakeOrder, type: string) => paypalEvent(type, 'checkout-order', orderJson(state, o));
  const captureEvent = (c: FakeCapture, type: string) => paypalEvent(type, 'capture', captureJson(state, c));

  const deliverText = (body: string, webhookId: string) => {
    const transmissionId = randomUUID();
    const time = new Date().toISOString();
    const signer = createSign('RSA-SHA256');
    signer.update(signedString(transmissionId, time, webhookId, body));
    return {
      body,
      headers: {
        'PAYPAL-TRANSMISSION-ID': transmissionId,
        'PAYPAL-TRANSMISSION-TIME': time,
        'PAYPAL-TRANSMISSION-SIG': signer.sign(state.signingKey.privateKey, 'base64'),
        'PAYPAL-CERT-URL': CERT_URL,
        'PAYPAL-AUTH-ALGO': 'SHA256withRSA',
        'Content-Type': 'application/json',
      },
    };
  };
  const addWebhook = (clientId: string, id: string) => {
    if (!state.apps.has(clientId)) throw new Error(`no PayPal app ${clientId}`);
    state.webhooks.set(id, { id, clientId, url: 'https://shop.example/webhooks/paypal', eventTypes: ['*'] });
  };
  return {
    url,
    state,
    requests: state.requests,
    /** Registers a REST app (its client id and secret) of a mode, with the webhooks set up on it (every event). */
    addApp(app: FakePaypalApp, ...webhookIds: string[]) {
      state.apps.set(app.clientId, app);
      for (const id of webhookIds) addWebhook(app.clientId, id);
    },
    /** Sets up another webhook on a registered app (every event). */
    addWebhook,
    /** The buyer approved the order on PayPal's page: the CHECKOUT.ORDER.APPROVED event. */
    approve(orderId: string) {
      const o = order(orderId);
      o.status = 'APPROVED';
      return orderEvent(o, 'CHECKOUT.ORDER.APPROVED');
    },
    /** The next `count` successful answers to paths ending so are lost: PayPal did the work, the caller sees a 503. */
    loseReplies: (pathSuffix: string, count: number) => void state.lostReplies.push({ pathSuffix, left: count }),
    /** PayPal answers 503 to paths ending so, doing nothing, until restore(). */
    outage: (pathSuffix: string) => void state.outages.add(pathSuffix),
    restore: (pathSuffix: string) => void state.outages.delete(pathSuffix),
    /** PayPal takes its time on paths ending so: their requests arrive, and are answered once released. */
    hold(pathSuffix: string): () => void {
      let release!: () => void;
      state.holds.set(pathSuffix, new Promise<void>((resolve) => (release = resolve)));
      return () => {
        state.holds.delete(pathSuffix);
        release();
      };
    },
    /** The next capture of this order ends PENDING (with PayPal's reason) or DECLINED, or is refused INSTRUMENT_DECLINED. */
    captureWill: (orderId: string, outcome: CaptureOutcome) => void state.captureOutcomes.set(orderId, outcome),
    captureOf: (orderId: string) => capture(order(orderId).captureId ?? ''),
    /** PayPal completes a pending capture (the seller accepted the currency, the hold ended). */
    completeCapture(captureId: string) {
      const c = capture(captureId);
      c.status = 'COMPLETED';
      delete c.statusReason;
      c.updateTime = new Date().toISOString();
      return captureEvent(c, 'PAYMENT.CAPTURE.COMPLETED');
    },
    /** PayPal denies a pending capture. */
    denyCapture(captureId: string) {
      const c = capture(captureId);
      c.status = 'DECLINED';
      delete c.statusReason;
      c.updateTime = new Date().toISOString();
      return captureEvent(c, 'PAYMENT.CAPTURE.DENIED');
    },
    /** The event PayPal sends for a refund (one made through the API, or refundInPaypal's). */
    refundEvent(refundId: string) {
      return paypalEvent('PAYMENT.CAPTURE.REFUNDED', 'refund', refundJson(state, refund(refundId)));
    },
    /** The next refund of this capture is held PENDING with PayPal's reason (ECHECK …). */
    refundWill: (captureId: string, outcome: RefundOutcome) => void state.refundOutcomes.set(captureId, outcome),
    /** PayPal completes a refund it held: GET shows it COMPLETED; the PAYMENT.CAPTURE.REFUNDED it sends then. */
    completeRefund(refundId: string) {
      const r = refund(refundId);
      r.status = 'COMPLETED';
      delete r.statusReason;
      return paypalEvent('PAYMENT.CAPTURE.REFUNDED', 'refund', refundJson(state, r));
    },
    /** A refund PayPal held fails (or is cancelled): GET shows it so, and its amount is the capture's again. */
    failRefund(refundId: string, status: 'FAILED' | 'CANCELLED', reason?: string) {
      const r = refund(refundId);
      const c = capture(r.captureId);
      r.status = status;
      if (reason) r.statusReason = reason;
      else delete r.statusReason;
      c.refundedCents -= cents(r.amount.value);
      c.status = c.refundedCents === 0 ? 'COMPLETED' : 'PARTIALLY_REFUNDED';
    },
    /** The seller refunds in PayPal's own dashboard (not through Sellflow): the refund and its event. */
    refundInPaypal(captureId: string, amountMinor?: number) {
      const c = capture(captureId);
      const amount = amountMinor ?? cents(c.amount.value) - c.refundedCents;
      c.refundedCents += amount;
      c.status = c.refundedCents === cents(c.amount.value) ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
      const refund: FakeRefund = { id: state.nextId('1R'), captureId, status: 'COMPLETED', amount: money(c.amount.currency_code, amount) };
      state.refunds.push(refund);
      return paypalEvent('PAYMENT.CAPTURE.REFUNDED', 'refund', refundJson(state, refund));
    },
    /** A buyer's dispute of a capture, as CUSTOMER.DISPUTE.CREATED / UPDATED / RESOLVED sends it. */
    disputeEvent(
      type: 'CUSTOMER.DISPUTE.CREATED' | 'CUSTOMER.DISPUTE.UPDATED' | 'CUSTOMER.DISPUTE.RESOLVED',
      captureId: string,
      dispute: { id: string; status: string; outcome?: string; reason?: string },
    ) {
      const c = capture(captureId);
      return paypalEvent(type, 'dispute', {
        dispute_id: dispute.id,
        create_time: c.createTime,
        update_time: new Date().toISOString(),
        disputed_transactions: [{ seller_transaction_id: c.id, seller: { merchant_id: 'MERCHANTFAKE' }, gross_amount: c.amount }],
        reason: dispute.reason ?? 'MERCHANDISE_OR_SERVICE_NOT_RECEIVED',
        status: dispute.status,
        dispute_amount: c.amount,
        ...(dispute.outcome ? { dispute_outcome: { outcome_code: dispute.outcome } } : {}),
        dispute_life_cycle_stage: 'CHARGEBACK',
        dispute_channel: 'INTERNAL',
        links: [],
      });
    },
    /** An event about a capture as it stands now (COMPLETED, PENDING, REFUNDED …). */
    captureEvent: (captureId: string, type: string) => captureEvent(capture(captureId), type),
    orderEvent: (orderId: string, type: string) => orderEvent(order(orderId), type),
    /**
     * Signs an event for a webhook id the way PayPal transmits it: the raw body and the
     * PAYPAL-* headers. A tampered body or another webhook id fails verification.
     */
    deliver(event: object, webhookId: string) {
      return deliverText(JSON.stringify(event), webhookId);
    },
    /** As deliver(), for a body written as given (PayPal's own spacing and escapes are its to choose). */
    deliverText,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type PaypalFake = Awaited<ReturnType<typeof startPaypalFake>>;

/** The helpers a route group in its own file (paypal-billing.ts) builds on. */
export { appOf, authorized, idempotent, invalidRequest, notFound, unprocessable };
