import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import Stripe from 'stripe';
import request from 'supertest';
import { answerClientErrors } from '../../src/api/client-error';
import { createVariant } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';
import {
  encodeComponent,
  hostileString,
  hostileValue,
  mutatedValue,
  type JsonSchema,
  type OpenApiDocument,
  type Operation,
  operationsOf,
  queryPart,
  type QueryShape,
  valueFor,
} from '../helpers/openapi-fuzz';

/**
 * The trust boundary, fuzzed (issue 16): every operation of /api/openapi.json gets valid and
 * mutated paths, queries and bodies, with live and test keys of store A, while store B holds
 * rows of its own. Nothing may answer 5xx, every error is the envelope, and nothing of B's is
 * read or changed through A. FUZZ_RUNS sets the budget (requests over all operations), FUZZ_SEED
 * the seed; the defaults are what CI runs.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 16_2026);
const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);
/** For local runs: only the operations whose "METHOD /path" matches, and every request logged. */
const ONLY = process.env.FUZZ_ONLY ? new RegExp(process.env.FUZZ_ONLY) : null;
const VERBOSE = process.env.FUZZ_VERBOSE === '1';

type Store = Awaited<ReturnType<Harness['createStore']>>;
type Ids = Record<string, string | number>;

let h: Harness;
let server: http.Server;
let base: string;
let a: Store;
let b: Store;
let aIds: Ids;
let bIds: Ids;
/** Text only B's rows hold: it must never appear in an answer to A. */
const bMarker = `zq${randomBytes(6).toString('hex')}`;
const aMarker = `za${randomBytes(6).toString('hex')}`;
/** B's and A's external ids: the fuzzer puts them in URLs, so answers may echo them. */
const bRef = `rb${randomBytes(6).toString('hex')}`;
const aRef = `ra${randomBytes(6).toString('hex')}`;
/** Each store's Stripe webhook signing secret; the fuzzer signs events with A's. */
const aStripeSecret = `whsec_a${randomBytes(12).toString('hex')}`;
const bStripeSecret = `whsec_b${randomBytes(12).toString('hex')}`;
/** Signed URLs of a file of A's in the local store: the download and an upload. */
let signedUrls: URL[];

beforeAll(async () => {
  // Stripe's API is a closed port here: nothing the fuzzer does reaches the network.
  h = await startHarness({ worker: true, env: { STRIPE_API_BASE: 'http://127.0.0.1:9' } });
  server = http.createServer(h.app);
  answerClientErrors(server, h.config.api.publicBaseUrl);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  a = await h.createStore();
  b = await h.createStore();
  aIds = await seed(a, aMarker, aRef);
  bIds = await seed(b, bMarker, bRef);
  const stripe = (secret: string) => ({ test_secret_key: 'sk_test_fuzz', webhook_secret: secret });
  await created(a.live, 'put', '/api/v2/settings/payment-methods/STRIPE', stripe(aStripeSecret));
  await created(b.live, 'put', '/api/v2/settings/payment-methods/STRIPE', stripe(bStripeSecret));
  const storage = h.localStorage();
  const storageKey = `fuzz/${aRef}/file.txt`;
  await storage.store.put(storageKey, Readable.from([Buffer.from(aMarker)]), aMarker.length);
  signedUrls = [
    new URL((await storage.presignDownload(storageKey, 'a,b.txt')).url),
    new URL((await storage.presignUpload(`fuzz/${aRef}/upload.bin`, 'application/octet-stream', 4)).url),
  ];
}, 120_000);
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await h?.close();
});

async function created(key: string, method: 'post' | 'put', path: string, body: object): Promise<Record<string, unknown>> {
  const res = await request(base)[method](path).set('Authorization', `Bearer ${key}`).send(body);
  if (res.status >= 300) throw new Error(`seeding ${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body.data ?? res.body) as Record<string, unknown>;
}

/** A store's rows, made the way a seller makes them; every text field carries the store's marker. */
async function seed(store: Store, marker: string, ref: string): Promise<Ids> {
  const key = store.live;
  const post = (path: string, body: object) => created(key, 'post', path, body);
  const { productId, variantId } = await createVariant(
    h,
    key,
    { deliverable: { types: ['TEXT'], data: { serials: `${marker}-1,${marker}-2` } }, price: 1200, payment_methods: ['PAYPAL', 'STRIPE'] },
    { title: `${marker} product` },
  );
  const email = `${marker}@example.com`;
  const order = { customer_email: email, payment_method: 'PAYPAL', product_variants: { [variantId]: { quantity: 1 } } };
  const invoice = await post('/api/v2/invoices', order);
  const coupon = await post('/api/v1/coupons', { code: `${marker}C`.toUpperCase(), type: 'AMOUNT', discount: 5, store_wide: true });
  const blacklist = await post('/api/v1/blacklists', { type: 'EMAIL', data: `${marker}-blocked@example.com`, description: marker });
  const section = await post('/api/v1/sections', { title: `${marker} section`, hidden: false });
  const group = await post('/api/v2/groups', { title: `${marker} group`, unlisted: false });
  const listing = await post('/api/v1/listings', {
    title: `${marker} listing`,
    description: marker,
    visibility: 'PUBLIC',
    deliverable: { types: ['TEXT'], data: { serials: [`${marker}-s`] } },
    price: { price: 1000, currency: 'USD' },
    payment_methods: ['PAYPAL'],
    minimum_purchase_quantity: 1,
  });
  const sellProduct = await post('/api/v1/products', { externalId: ref, name: `${marker} sell`, priceCents: 500 });
  await post(`/api/v1/products/${ref}/releases`, { version: `${marker}-1.0.0`, externalId: `${ref}-rel` });
  // An event the fuzzing does not cause: no deliveries to a host that is not there.
  const webhook = await post('/api/v2/webhooks', { url: 'https://example.com/hook', events: ['release.published'], description: marker });
  const apiKey = await post('/api/v2/api-keys', { name: marker, scopes: ['ops:write'] });
  const ticket = await post('/api/v1/tickets', { title: `${marker} ticket`, customer_email: email, content: marker });
  const messages = await request(base).get(`/api/v1/tickets/${ticket.id}/messages`).set('Authorization', `Bearer ${key}`);
  const program = { enabled: true, auto_approve: false, commission: { type: 'PERCENTAGE', value: 10 }, payout_methods: ['PAYPAL'] };
  await created(key, 'put', '/api/v2/settings/affiliates', program);
  const affiliate = await post('/api/v2/affiliates/apply', { email, code: `${marker}aff`, payout_method: 'PAYPAL', payout_details: email });
  const urls = { return_url: 'https://example.com/done', cancel_url: 'https://example.com/cancel' };
  const charge = await post('/api/v2/charges', { ...urls, email, currency: 'USD', total: 1500, payment_method: 'PAYPAL' });
  const notification = await post('/api/v2/notifications', { kind: 'email', name: marker, to: [email], events: ['release.published'] });
  return {
    product: productId,
    variant: variantId,
    invoice: invoice.id as number,
    coupon: coupon.id as number,
    blacklist: blacklist.id as number,
    section: section.id as number,
    group: group.id as number,
    listings: listing.id as number,
    ref: sellProduct.externalId as string,
    releaseRef: `${ref}-rel`,
    webhooks: webhook.id as number,
    'api-keys': apiKey.id as number,
    ticket: ticket.id as number,
    message: messages.body.data[0].id as number,
    affiliate: affiliate.id as number,
    charge: charge.id as number,
    charge_id: charge.id as number,
    notifications: notification.id as number,
  };
}

const SNAPSHOT_TABLES = [
  'products',
  'product_variants',
  'coupons',
  'blacklists',
  'sections',
  'groups',
  'webhook_endpoints',
  'tickets',
  'affiliates',
  'releases',
  'notification_channels',
] as const;

/** B's rows as the database holds them, to compare before and after A's requests. */
async function snapshotOf(storeId: number): Promise<Record<string, unknown[]>> {
  const snapshot: Record<string, unknown[]> = {};
  for (const table of SNAPSHOT_TABLES) {
    snapshot[table] = await h.db.selectFrom(table).selectAll().where('store_id', '=', storeId).orderBy('id').execute();
  }
  // Keys' last use and an invoice's delivery bookkeeping move on their own; what A could change does not.
  snapshot.api_keys = await h.db
    .selectFrom('api_keys')
    .select(['id', 'name', 'scopes', 'revoked_at', 'mode'])
    .where('store_id', '=', storeId)
    .orderBy('id')
    .execute();
  snapshot.invoices = await h.db
    .selectFrom('invoices')
    .select(['id', 'status', 'paid_at', 'needs_attention', 'attention_reason', 'customer_email', 'coupon_code', 'coupon_id', 'total_cents'])
    .where('store_id', '=', storeId)
    .orderBy('id')
    .execute();
  return JSON.parse(JSON.stringify(snapshot)) as Record<string, unknown[]>;
}

/** Which seeded row a path parameter names: by its name, or for `{id}` by the collection before it. */
function resourceOf(path: string, param: string): string {
  if (param !== 'id') return param;
  const segments = path.split('/');
  return segments[segments.indexOf('{id}') - 1] ?? param;
}

type Auth = 'live' | 'test' | 'none' | 'garbage' | 'other-store' | 'latin1-store';

interface FuzzRequest {
  op: Operation;
  url: string;
  usesB: boolean;
  auth: Auth;
  body: { kind: 'json'; value: unknown } | { kind: 'raw'; bytes: Buffer } | { kind: 'none' };
  /** Set after everything else (a signature, the content type a signed upload expects). */
  headers?: Record<string, string>;
}

interface Finding {
  kind: 'server_error' | 'no_envelope' | 'cross_store_leak' | 'cross_store_access';
  op: string;
  status: number;
  example: string;
}

const stats = { requests: 0, upstream: 0, histogram: new Map<number, number>(), findings: new Map<string, Finding>() };

function pathValueFor(doc: OpenApiDocument, op: Operation, name: string, schema: JsonSchema): fc.Arbitrary<{ text: string; b: boolean }> {
  const resource = resourceOf(op.path, name);
  const mine = aIds[resource];
  const theirs = bIds[resource];
  const text = (arbitrary: fc.Arbitrary<unknown>, b = false) => arbitrary.map((v) => ({ text: String(v), b }));
  return fc.oneof(
    { weight: 2, arbitrary: text(valueFor(doc, schema, op.words)) },
    { weight: 1, arbitrary: text(fc.oneof(hostileString, fc.integer({ min: -5, max: 2 ** 32 }))) },
    { weight: mine === undefined ? 0 : 6, arbitrary: text(fc.constant(mine)) },
    { weight: mine === undefined ? 0 : 1, arbitrary: text(fc.constantFrom('\u0000', '\ud800', '%').map((poison) => `${mine}${poison}`)) },
    { weight: theirs === undefined ? 0 : 2, arbitrary: text(fc.constant(theirs), true) },
  );
}

function queryFor(doc: OpenApiDocument, op: Operation): fc.Arbitrary<string[]> {
  const params = op.queryParams.length > 0 ? op.queryParams : [{ name: 'unexpected', required: false, schema: {} }];
  const shape = fc.oneof(
    { weight: 3, arbitrary: fc.constant<QueryShape>('plain') },
    { weight: 1, arbitrary: fc.constantFrom<QueryShape>('repeated', 'bracketed', 'array') },
  );
  const one = fc.tuple(fc.constantFrom(...params), shape, fc.boolean()).chain(([param, form, hostile]) => {
    const value = hostile ? hostileString : valueFor(doc, param.schema, op.words);
    return value.map((v) => queryPart(param.name, v, form));
  });
  return fc.array(one, { maxLength: Math.min(op.queryParams.length, 4) });
}

function bodyFor(doc: OpenApiDocument, op: Operation): fc.Arbitrary<FuzzRequest['body']> {
  const valid = op.body ? valueFor(doc, op.body, op.words) : fc.constant(undefined);
  const json = (value: unknown) => ({ kind: 'json' as const, value });
  const raw = (bytes: Uint8Array) => ({ kind: 'raw' as const, bytes: Buffer.from(bytes) });
  return fc.oneof(
    { weight: op.body ? 5 : 0, arbitrary: valid.map(json) },
    { weight: op.body ? 4 : 0, arbitrary: mutatedValue(valid).map(json) },
    { weight: 1, arbitrary: hostileValue.map(json) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 40 }).map(raw) },
    { weight: op.body ? 0 : 8, arbitrary: fc.constant({ kind: 'none' as const }) },
  );
}

function requestFor(doc: OpenApiDocument, op: Operation): fc.Arbitrary<FuzzRequest> {
  const auth = fc.oneof(
    { weight: 5, arbitrary: fc.constant<Auth>('live') },
    { weight: 4, arbitrary: fc.constant<Auth>('test') },
    { weight: 1, arbitrary: fc.constantFrom<Auth>('none', 'garbage', 'other-store', 'latin1-store') },
  );
  const pathValues = fc.tuple(...op.pathParams.map(({ name, schema }) => pathValueFor(doc, op, name, schema)));
  return fc.tuple(pathValues, queryFor(doc, op), bodyFor(doc, op), auth).map(([values, parts, body, auth]) => {
    let i = 0;
    const path = op.path.replace(/\{[^}]+\}/g, () => encodeComponent(values[i++]!.text));
    return { op, url: parts.length > 0 ? `${path}?${parts.join('&')}` : path, usesB: values.some((v) => v.b), auth, body };
  });
}

/** The routes outside the OpenAPI document, fuzzed as operations of their own. */
function rawOperation(method: Operation['method'], path: string): Operation {
  return { method, path, pathParams: [], queryParams: [], body: null, words: [] };
}

const signer = new Stripe('sk_test_unused');
const STRIPE_EVENT_TYPES = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'charge.refunded',
  'charge.dispute.created',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'invoice.paid',
  'invoice.payment_failed',
  'payment_intent.succeeded',
];

/** Events shaped like Stripe's, naming A's invoice, B's, or nonsense; then perhaps mutated. */
function stripeEvent(): fc.Arbitrary<unknown> {
  const invoiceRef = fc.oneof(fc.constant(String(aIds.invoice)), fc.constant(String(bIds.invoice)), hostileString);
  const amount = fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.constantFrom(-1, 2 ** 31, Number.MAX_SAFE_INTEGER, 1.5));
  const object = fc.record(
    {
      id: fc.constantFrom('cs_test_1', 'ch_1', 'sub_1', 'in_1', 'dp_1', 'pi_1'),
      object: fc.constantFrom('checkout.session', 'charge', 'subscription', 'invoice', 'dispute'),
      client_reference_id: invoiceRef,
      metadata: fc.record({ invoice_id: invoiceRef, subscription_id: invoiceRef, store_id: invoiceRef }, { requiredKeys: [] }),
      payment_status: fc.constantFrom('paid', 'unpaid', 'no_payment_required'),
      mode: fc.constantFrom('payment', 'subscription'),
      status: fc.constantFrom('active', 'canceled', 'past_due', 'paid', 'incomplete'),
      amount_total: amount,
      amount: amount,
      amount_paid: amount,
      amount_refunded: amount,
      currency: fc.constantFrom('usd', 'eur', 'USD', ''),
      payment_intent: fc.constantFrom('pi_1', null, { id: 'pi_1' }),
      subscription: fc.constantFrom('sub_1', null),
      invoice: fc.constantFrom('in_1', null),
      customer: fc.constantFrom('cus_1', null),
      livemode: fc.boolean(),
      current_period_end: fc.integer({ min: 0, max: 2 ** 32 }),
    },
    { requiredKeys: [] },
  );
  const event = fc.record({
    id: fc.nat().map((n) => `evt_${n.toString(36)}`),
    object: fc.constant('event'),
    type: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...STRIPE_EVENT_TYPES) }, { weight: 1, arbitrary: hostileString }),
    livemode: fc.boolean(),
    created: fc.integer({ min: 0, max: 2 ** 32 }),
    data: fc.record({ object }),
  });
  const events = fc.oneof({ weight: 3, arbitrary: event }, { weight: 2, arbitrary: mutatedValue(event) });
  return events;
}

/** POST /webhooks/stripe/{store}: A's events signed with A's secret, sent to A, to B, or with a bad signature. */
function stripeWebhookRequest(): fc.Arbitrary<FuzzRequest> {
  const op = rawOperation('post', '/webhooks/stripe/{store}');
  const store = fc.oneof(
    { weight: 6, arbitrary: fc.constant({ text: a.slug, b: false }) },
    { weight: 2, arbitrary: fc.constant({ text: b.slug, b: true }) },
    { weight: 1, arbitrary: hostileString.map((text) => ({ text, b: false })) },
  );
  const signature = fc.constantFrom('valid', 'valid', 'valid', 'valid', 'other-secret', 'garbage', 'none');
  return fc.tuple(store, stripeEvent(), signature).map(([slug, event, signing]): FuzzRequest => {
    const payload = JSON.stringify(event) ?? 'null';
    // Nobody's secret: B's own events are B's to change B's rows with, and never sent here.
    const secret = signing === 'other-secret' ? 'whsec_nobody' : aStripeSecret;
    const header = signing === 'garbage' ? 't=1,v1=00' : signer.webhooks.generateTestHeaderString({ payload, secret });
    return {
      op,
      url: `/webhooks/stripe/${encodeComponent(slug.text)}`,
      // A's signature opens nothing of B's: B's route must refuse it.
      usesB: slug.b,
      auth: 'none' as const,
      body: { kind: 'raw' as const, bytes: Buffer.from(payload) },
      headers: signing === 'none' ? {} : { 'Stripe-Signature': header },
    };
  });
}

/** GET and PUT /files/{key}: A's signed URLs with a parameter dropped, repeated, bracketed, changed or added. */
function signedFileRequest(): fc.Arbitrary<FuzzRequest> {
  const change = fc.constantFrom('none', 'drop', 'repeat', 'bracket', 'array', 'replace', 'add', 'path');
  return fc.tuple(fc.constantFrom(...signedUrls), change, fc.nat(), hostileString).map(([url, how, pick, hostile]): FuzzRequest => {
    const method = url.searchParams.has('content_type') ? 'put' : 'get';
    const params = [...url.searchParams].map(([name, value]) => [name, encodeComponent(value)] as [string, string]);
    const [name, value] = params[pick % params.length]!;
    const others = params.filter(([other]) => other !== name).map(([n, v]) => `${n}=${v}`);
    const changed: Record<string, string[]> = {
      none: [`${name}=${value}`],
      drop: [],
      repeat: [`${name}=${value}`, `${name}=${encodeComponent(hostile)}`],
      bracket: [`${name}[x]=${value}`],
      array: [`${name}[]=${value}`],
      replace: [`${name}=${encodeComponent(hostile)}`],
      add: [`${name}=${value}`, `${encodeComponent(hostile)}=1`],
      path: [`${name}=${value}`],
    };
    const path = how === 'path' ? `/files/${encodeComponent(hostile)}` : url.pathname;
    return {
      op: rawOperation(method, '/files/{key}'),
      url: `${path}?${[...others, ...changed[how]!].join('&')}`,
      usesB: false,
      auth: 'none' as const,
      body: method === 'put' ? { kind: 'raw' as const, bytes: Buffer.from('abcd') } : { kind: 'none' as const },
      headers: method === 'put' ? { 'Content-Type': 'application/octet-stream' } : {},
    };
  });
}

/** Discord's OAuth2 return, Telegram's webhook (not enabled here) and /health: no key, any query. */
function callbackRequest(): fc.Arbitrary<FuzzRequest> {
  const routes = [
    rawOperation('get', '/community/discord/callback'),
    rawOperation('post', '/community/telegram/webhook'),
    rawOperation('get', '/health'),
  ];
  const names = ['code', 'state', 'error', 'x'];
  const shape = fc.constantFrom<QueryShape>('plain', 'repeated', 'bracketed', 'array');
  const part = fc.tuple(fc.constantFrom(...names), fc.oneof(hostileString, fc.string()), shape);
  return fc.tuple(fc.constantFrom(...routes), fc.array(part, { maxLength: 3 }), hostileValue).map(([op, parts, body]): FuzzRequest => ({
    op,
    url: `${op.path}?${parts.map(([name, value, shape]) => queryPart(name, value, shape)).join('&')}`,
    usesB: false,
    auth: 'none' as const,
    body: op.method === 'post' ? { kind: 'json' as const, value: body } : { kind: 'none' as const },
    headers: op.method === 'post' ? { 'X-Telegram-Bot-Api-Secret-Token': 'guess' } : {},
  }));
}

const rawBytes = (body: unknown) => body as string;

async function send(fuzz: FuzzRequest): Promise<request.Response> {
  let req = request(base)[fuzz.op.method](fuzz.url);
  if (['live', 'other-store', 'latin1-store'].includes(fuzz.auth)) req = req.set('Authorization', `Bearer ${a.live}`);
  if (fuzz.auth === 'test') req = req.set('Authorization', `Bearer ${a.test}`);
  if (fuzz.auth === 'garbage') req = req.set('Authorization', 'Bearer sf_live_0000');
  // A's key asking for B's store by name, or for a store whose name is not UTF-8.
  if (fuzz.auth === 'other-store') req = req.set('X-Store', b.slug);
  if (fuzz.auth === 'latin1-store') req = req.set('X-Store', '\u00e9\u00ff');
  req = req.set('Content-Type', 'application/json');
  for (const [name, value] of Object.entries(fuzz.headers ?? {})) req = req.set(name, value);
  if (fuzz.body.kind === 'json') return req.send(JSON.stringify(fuzz.body.value) ?? 'null');
  // superagent would JSON-encode a Buffer; raw bytes go out as they are.
  if (fuzz.body.kind === 'raw') return req.serialize(rawBytes).send(fuzz.body.bytes);
  return req;
}

function describeRequest(fuzz: FuzzRequest): string {
  const { body: sent } = fuzz;
  const raw = (bytes: Buffer) => (isUtf8(bytes) ? bytes.toString('utf8') : `bytes ${bytes.toString('hex')}`);
  const body = sent.kind === 'json' ? JSON.stringify(sent.value) : sent.kind === 'raw' ? raw(sent.bytes) : '';
  return `${fuzz.op.method.toUpperCase()} ${fuzz.url} [${fuzz.auth}] ${(body ?? '').slice(0, 300)}`;
}

function isEnvelope(res: request.Response): boolean {
  const error = (res.body as { error?: Record<string, unknown> } | undefined)?.error;
  const fields = typeof error?.type === 'string' && typeof error.code === 'string' && typeof error.message === 'string';
  return /application\/json/.test(res.headers['content-type'] ?? '') && fields;
}

function isUpstream(res: request.Response): boolean {
  const type = (res.body as { error?: { type?: unknown } } | undefined)?.error?.type;
  return [502, 503].includes(res.status) && isEnvelope(res) && (type === 'bad_gateway' || type === 'service_unavailable');
}

/** The checks every answer passes; a finding is kept per operation and kind, with its first example. */
function judge(fuzz: FuzzRequest, res: request.Response): void {
  stats.requests += 1;
  if (VERBOSE) process.stdout.write(`${res.status} ${describeRequest(fuzz)}\n`);
  stats.histogram.set(res.status, (stats.histogram.get(res.status) ?? 0) + 1);
  const op = `${fuzz.op.method.toUpperCase()} ${fuzz.op.path}`;
  const found = (kind: Finding['kind']) => {
    const example = `${describeRequest(fuzz)} → ${res.text.slice(0, 300)}`;
    if (!stats.findings.has(`${kind} ${op}`)) stats.findings.set(`${kind} ${op}`, { kind, op, status: res.status, example });
  };
  // A provider the test bed lacks (SMTP, Stripe, a channel's server) answers 502/503 in the envelope, typed so: not an input's fault.
  if (res.status >= 500 && isUpstream(res)) stats.upstream += 1;
  else if (res.status >= 500) found('server_error');
  if (res.status >= 400 && !isEnvelope(res)) found('no_envelope');
  if (res.text.toLowerCase().includes(bMarker)) found('cross_store_leak');
  if (fuzz.usesB && res.status < 300) found('cross_store_access');
}

function hashOf(text: string): number {
  let hash = 0;
  for (const char of text) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) | 0;
  return hash;
}

function summary(operations: number, perOperation: number, seconds: number): string {
  const statuses = [...stats.histogram.entries()].sort(([x], [y]) => x - y);
  const serverErrors = statuses.filter(([status]) => status >= 500).reduce((sum, [, count]) => sum + count, 0);
  return [
    `API fuzz: seed ${SEED}, ${operations} operations × ${perOperation} runs, ${stats.requests} requests in ${seconds.toFixed(1)} s`,
    `  statuses ${statuses.map(([status, count]) => `${status}: ${count}`).join(', ')}`,
    `  5xx: ${serverErrors} (${stats.upstream} of them a missing provider's 502/503 in the envelope), findings: ${stats.findings.size}`,
    ...[...stats.findings.values()].map((f) => `  - ${f.kind} ${f.op} (${f.status}): ${f.example}`),
  ].join('\n');
}

describe('API fuzz (issue 16: the trust boundary)', () => {
  it('answers every operation of the OpenAPI document without 5xx, always in the envelope, and never across stores', async () => {
    const doc = (await request(base).get('/api/openapi.json').expect(200)).body as OpenApiDocument;
    // Deletes last, so the rows the other operations name are still there when they run.
    const all = operationsOf(doc).sort((x, y) => Number(x.method === 'delete') - Number(y.method === 'delete'));
    expect(all.length).toBeGreaterThan(150);
    const operations = all;
    const before = await snapshotOf(b.id);
    for (const table of SNAPSHOT_TABLES) expect(before[table]!.length).toBeGreaterThan(0);

    const perOperation = Math.max(1, Math.round(RUNS / all.length));
    const started = Date.now();
    const fuzz = async (name: string, requests: fc.Arbitrary<FuzzRequest>, runs: number) => {
      if (ONLY && !ONLY.test(name)) return;
      const property = fc.asyncProperty(requests, async (one) => judge(one, await send(one)));
      await fc.assert(property, { seed: SEED ^ hashOf(name), numRuns: runs });
    };
    // The routes outside the document first, while A's Stripe secret is still the seeded one.
    await fuzz('POST /webhooks/stripe/{store}', stripeWebhookRequest(), perOperation * 6);
    await fuzz('GET|PUT /files/{key}', signedFileRequest(), perOperation * 4);
    await fuzz('callbacks and /health', callbackRequest(), perOperation * 2);
    for (const op of operations) await fuzz(`${op.method.toUpperCase()} ${op.path}`, requestFor(doc, op), perOperation);
    process.stdout.write(`\n${summary(operations.length, perOperation, (Date.now() - started) / 1000)}\n`);

    expect([...stats.findings.values()]).toEqual([]);
    expect(await snapshotOf(b.id)).toEqual(before);
    // The fuzzing reached past validation and authentication, not only into refusals.
    if (!ONLY) expect([...stats.histogram.keys()].some((status) => status < 300)).toBe(true);
  }, 600_000);
});

/** A raw HTTP exchange, for what an HTTP client library refuses to send. */
function rawExchange(bytes: Buffer | string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1', () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = Buffer.concat(chunks).toString('utf8').split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), headers: head, body });
    });
  });
}

const api = (method: 'get' | 'post' | 'patch' | 'delete', path: string) =>
  request(base)[method](path).set('Authorization', `Bearer ${a.live}`);
const product = (extra: object) => api('post', '/api/v2/products').send({ title: 'ok', description: 'd', visibility: 'PUBLIC', ...extra });

/** Each bug fuzzing found, pinned down on its own. */
describe('trust-boundary regressions', () => {
  it('refuses NUL in a JSON body field or key with 400 nul_character, naming the field', async () => {
    const field = await product({ title: 'a\u0000b' });
    expect(field.status).toBe(400);
    expect(field.body.error).toMatchObject({ type: 'invalid_request', code: 'nul_character', param: 'title' });
    const nested = await api('post', '/api/v1/coupons/search').send({ filters: [{ field: 'code', operator: '=', value: 'x\u0000' }] });
    expect(nested.status).toBe(400);
    expect(nested.body.error).toMatchObject({ code: 'nul_character', param: 'filters.0.value' });
    const key = await product({ 'x\u0000': 1 });
    expect(key.status).toBe(400);
    expect(key.body.error.code).toBe('nul_character');
  });

  it('refuses NUL in the query of a search and a list filter', async () => {
    for (const url of ['/api/v2/invoices?search=%00', '/api/v1/products?externalId=%00', '/api/v2/products?title[%00]=1']) {
      const res = await api('get', url);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ type: 'invalid_request', code: 'nul_character', param: 'query' });
    }
  });

  it('refuses NUL in a path parameter, numeric or not', async () => {
    for (const url of ['/api/v2/products/%00', `/api/v1/products/${aRef}%00`, `/api/v1/tickets/${aIds.ticket}%00/messages`]) {
      const res = await api('get', url);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'nul_character', param: 'path' });
    }
  });

  it('refuses POST /webhooks/stripe/%00 without a key, in the envelope', async () => {
    const res = await request(base).post('/webhooks/stripe/%00').set('Content-Type', 'application/json').send('{}');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ type: 'invalid_request', code: 'nul_character' });
  });

  it('refuses NUL in a header (Node refuses it before Express) and non-UTF-8 header bytes, in the envelope', async () => {
    const head = `GET /api/v2/products HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer ${a.live}\r\n`;
    const nul = await rawExchange(Buffer.from(`${head}X-Store: a\u0000b\r\n\r\n`, 'latin1'));
    expect(nul.status).toBe(400);
    expect(JSON.parse(nul.body).error).toMatchObject({ type: 'invalid_request', code: 'malformed_request' });
    const latin1 = await api('get', '/api/v2/products').set('X-Store', '\u00e9');
    expect(latin1.status).toBe(400);
    expect(latin1.body.error).toMatchObject({ code: 'invalid_utf8', param: 'X-Store' });
    // UTF-8 in a header is fine: the store simply is not this key's.
    const utf8 = await rawExchange(Buffer.concat([Buffer.from(`${head}X-Store: `), Buffer.from('é', 'utf8'), Buffer.from('\r\n\r\n')]));
    expect(utf8.status).toBe(403);
  });

  it('answers what Node’s parser refuses in the envelope: 431 for huge headers, 400 for a malformed request', async () => {
    const huge = await rawExchange(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(huge.status).toBe(431);
    expect(huge.headers).toMatch(/content-type: application\/json/i);
    expect(JSON.parse(huge.body).error).toMatchObject({ type: 'invalid_request', code: 'headers_too_large', message: expect.any(String) });
    const garbage = await rawExchange('NOT HTTP AT ALL\r\n\r\n');
    expect(garbage.status).toBe(400);
    const parsed = JSON.parse(garbage.body);
    expect(parsed).toMatchObject({ error: { type: 'invalid_request', code: 'malformed_request' }, message: expect.any(String) });
  });

  it('refuses invalid UTF-8 bytes and lone surrogates in a JSON body', async () => {
    const bytes = Buffer.concat([Buffer.from('{"title":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('","description":"d"}')]);
    const raw = await api('post', '/api/v2/products').set('Content-Type', 'application/json').serialize(rawBytes).send(bytes);
    expect(raw.status).toBe(400);
    expect(raw.body.error).toMatchObject({ type: 'invalid_request', code: 'invalid_utf8', param: 'body' });
    const surrogate = await api('post', '/api/v2/products')
      .set('Content-Type', 'application/json')
      .send('{"title":"a\\ud800","description":"d","visibility":"PUBLIC"}');
    expect(surrogate.status).toBe(400);
    expect(surrogate.body.error).toMatchObject({ code: 'invalid_utf8', param: 'title' });
    // Well-formed non-ASCII text is taken as it is.
    const fine = await product({ title: 'Café 😀' });
    expect(fine.status).toBe(201);
    expect(fine.body.data.title).toBe('Café 😀');
  });

  it('refuses invalid UTF-8 percent-escapes in the path and query', async () => {
    for (const url of ['/api/v2/products/%FF', '/api/v2/invoices?search=%ED%A0%80']) {
      const res = await api('get', url);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_utf8');
    }
  });

  it('refuses a body nested deeper than any resource', async () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const res = await api('post', '/api/v1/coupons/search')
      .set('Content-Type', 'application/json')
      .send(`{"filters":[{"field":"code","value":${deep}}]}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('body_too_deep');
  });

  describe('signed download URLs', () => {
    async function signedDownload(fileName: string): Promise<URL> {
      const storage = h.localStorage();
      const storageKey = `fuzz/${randomBytes(4).toString('hex')}/file.txt`;
      await storage.store.put(storageKey, Readable.from([Buffer.from('hello')]), 5);
      return new URL((await storage.presignDownload(storageKey, fileName)).url);
    }

    it('serves the file for the URL as signed', async () => {
      const url = await signedDownload('a,b.txt');
      const res = await request(base).get(url.pathname + url.search);
      expect(res.status).toBe(200);
      expect(res.headers['content-disposition']).toMatch(/a,b\.txt/);
    });

    it('refuses a repeated or bracketed signed parameter with 400, even when the joined values match the signature', async () => {
      const url = await signedDownload('a,b.txt');
      const signed = [...url.searchParams].map(([name, value]) => `${name}=${encodeURIComponent(value)}`);
      const without = (name: string) => signed.filter((part) => !part.startsWith(`${name}=`));
      // filename=a&filename=b.txt joins to the signed "a,b.txt": before the fix a 500 from Content-Disposition.
      for (const filename of ['filename=a&filename=b.txt', 'filename[a]=b', 'filename[]=a,b.txt']) {
        const res = await request(base).get(`${url.pathname}?${[...without('filename'), filename].join('&')}`);
        expect(res.status).toBe(400);
        expect(res.body.error).toMatchObject({ type: 'invalid_request', code: 'repeated_parameter', param: 'filename' });
      }
      const signature = await request(base).get(`${url.pathname}?${[...without('signature'), 'signature=a&signature=b'].join('&')}`);
      expect(signature.status).toBe(400);
      expect(signature.body.error.param).toBe('signature');
    });
  });

  it('answers repeated or bracketed query parameters on zod-validated routes with 422', async () => {
    for (const url of ['/api/v2/invoices?search=a&search=b', '/api/v2/invoices?email[a]=b', '/api/v1/coupons?page[x]=1']) {
      const res = await api('get', url);
      expect(res.status).toBe(422);
      expect(res.body.error.type).toBe('invalid_request');
    }
  });

  it('refuses ids and counts beyond Postgres integer with 422, in batch bodies, id-keyed objects and catalogue fields', async () => {
    const big = 2 ** 31;
    const invoice = { customer_email: 'a@b.co', payment_method: 'PAYPAL' };
    const cases: Array<[request.Test, string]> = [
      [api('delete', '/api/v1/coupons/batch').send({ resources: [big] }), 'resources.0'],
      [api('patch', '/api/v1/sections/batch').send({ resources: { '9999999999': { title: 'x' } } }), 'resources.9999999999'],
      [api('delete', '/api/v2/products/batch').send({ resources: [big] }), 'resources.0'],
      [api('patch', '/api/v2/products/batch').send({ resources: { [big]: { title: 'x' } } }), `resources.${big}`],
      [api('delete', `/api/v2/products/${aIds.product}/variants/batch`).send({ resources: [big] }), 'resources.0'],
      [api('post', '/api/v2/invoices').send({ ...invoice, product_variants: { [big]: { quantity: 1 } } }), `product_variants.${big}`],
      [api('post', '/api/v2/products').send({ title: 't', description: 'd', visibility: 'PUBLIC', section: big }), 'section'],
      [api('patch', `/api/v1/listings/${aIds.listings}`).send({ order: -big - 1 }), 'order'],
      [api('patch', `/api/v1/listings/${aIds.listings}`).send({ minimum_purchase_quantity: big }), 'minimum_purchase_quantity'],
    ];
    for (const [pending, param] of cases) {
      const res = await pending;
      expect(res.status).toBe(422);
      expect(res.body.error).toMatchObject({ type: 'invalid_request', param });
    }
  });

  it('refuses a coupon discount that rounds to nothing in hundredths with 422, not the database check', async () => {
    for (const [type, discount] of [
      ['AMOUNT', 0.001],
      ['PERCENTAGE', 0.004],
    ] as const) {
      const res = await api('post', '/api/v1/coupons').send({ code: `TINY${type}`, type, discount, store_wide: true });
      expect(res.status).toBe(422);
      expect(res.body.error).toMatchObject({ code: 'invalid_field', param: 'discount' });
    }
    const cent = await api('post', '/api/v1/coupons').send({ code: 'ONECENT', type: 'AMOUNT', discount: 0.01, store_wide: true });
    expect(cent.status).toBe(201);
    expect(cent.body.data.discount).toBe('0.01');
  });

  describe('search filters', () => {
    const search = (filters: object[]) => api('post', '/api/v1/sections/search').send({ filters });

    it('refuses fields and operators that only Object.prototype has with 422', async () => {
      for (const [filter, param] of [
        [{ field: '__proto__', operator: '=', value: 1 }, 'filters.0.field'],
        [{ field: 'constructor', operator: '=', value: 1 }, 'filters.0.field'],
        [{ field: 'id', operator: 'constructor', value: 1 }, 'filters.0.operator'],
      ] as const) {
        const res = await search([filter]);
        expect(res.status).toBe(422);
        expect(res.body.error).toMatchObject({ code: 'invalid_field', param });
      }
    });

    it('compares numbers with any column without a database error, numerically where the values are numbers', async () => {
      const id = (await api('post', '/api/v1/sections').send({ title: 'numbers', hidden: false }).expect(201)).body.data.id as number;
      for (const filter of [
        { field: 'created_at', operator: '>', value: 5 },
        { field: 'hidden', operator: '=', value: 5 },
        { field: 'id', operator: '>', value: 1e308 },
        { field: 'id', operator: '<', value: -1e308 },
        { field: 'order', operator: '>', value: 2 ** 31 },
      ]) {
        const res = await search([filter]);
        expect(res.status).toBe(200);
        expect(res.body.data).toEqual([]);
      }
      const between = await search([
        { field: 'id', operator: '>', value: id - 0.5 },
        { field: 'id', operator: '<', value: id + 0.5 },
      ]);
      expect(between.status).toBe(200);
      expect(between.body.data.map((s: { id: number }) => s.id)).toEqual([id]);
    });

    it('refuses a like pattern ending in a lone backslash and an oversized in-list with 422', async () => {
      const like = await search([{ field: 'title', operator: 'ilike', value: '%\\' }]);
      expect(like.status).toBe(422);
      expect(like.body.error.param).toBe('filters.0.value');
      expect((await search([{ field: 'title', operator: 'ilike', value: '%\\\\' }])).status).toBe(200);
      const many = await search([{ field: 'id', operator: 'in', value: Array.from({ length: 1001 }, (_, i) => i) }]);
      expect(many.status).toBe(422);
      expect(many.body.error.param).toBe('filters.0.value');
    });
  });
});
