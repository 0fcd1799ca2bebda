import { randomUUID } from 'node:crypto';
import { sample } from 'openapi-sampler';
import request from 'supertest';
import { type RawBuilder, sql } from 'kysely';
import { MODE_SCOPED_TABLES } from '../../src/db/livemode-scope';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { startHarness, type Harness } from '../helpers/harness';

/**
 * Live and test are two worlds (issue 16). Every operation of the served OpenAPI document is
 * called with a test key against live rows, and with a live key against test rows: walked from
 * the document, so a route added tomorrow is walked too. Nothing of the other world may show
 * in an answer, an id of the other world is a 404, a route closed to test keys is a 403
 * `livemode_required`, and the other world's rows are exactly as they were afterwards.
 */

type Mode = 'live' | 'test';
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
interface OpenApiOperation {
  parameters?: { name: string; in: string }[];
  requestBody?: { content?: { 'application/json'?: { schema?: object } } };
  'x-sellflow-modes'?: 'both' | 'live-only';
}
interface OpenApiDocument {
  paths: Record<string, Partial<Record<Method, OpenApiOperation>>>;
}

interface World {
  key: string;
  keyId: number;
  marker: string;
  invoiceId: number;
  licenseKeyId: number;
  licenseKey: string;
  instanceId: string;
  ticketId: number;
  feedbackId: number;
  webhookId: number;
  notificationId: number;
}

// Endpoints and channels listen to an event the walk never raises, so the worker leaves them be.
const QUIET_EVENT = 'affiliate.payouts_created';

let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
let productId: number;
let variantId: number;
const worlds = {} as Record<Mode, World>;

const call = (key: string, method: Method, path: string, body?: unknown) => {
  const agent = request(h.app);
  return agent[method](path)
    .set('Authorization', `Bearer ${key}`)
    .send(body as object);
};

async function seedWorld(mode: Mode): Promise<World> {
  const key = mode === 'live' ? store.live : store.test;
  const marker = `${mode}-world-marker`;
  const invoice = await call(key, 'post', '/api/v2/invoices', {
    customer_email: `${marker}@example.com`,
    payment_method: 'STRIPE',
    product_variants: { [variantId]: { quantity: 1 } },
  }).expect(201);
  const invoiceId = invoice.body.data.id as number;
  const webhook = await call(key, 'post', '/api/v2/webhooks', { url: `https://${marker}.example/hook`, events: [QUIET_EVENT] }).expect(201);
  const notification = await call(key, 'post', '/api/v2/notifications', {
    kind: 'email',
    name: marker,
    to: [`${marker}@example.com`],
    events: [QUIET_EVENT],
  });
  expect(notification.status).toBe(201);
  const licenseKey = `${marker}-LICENSE`;
  const license = await h.db
    .insertInto('license_keys')
    .values({
      store_id: store.id,
      key: licenseKey,
      issue_key: `${marker}-issue`,
      invoice_id: invoiceId,
      product_id: productId,
      variant_id: variantId,
      limit: 3,
      expires_at: null,
      subscription_id: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const instanceId = randomUUID();
  await h.db
    .insertInto('license_key_instances')
    .values({ id: instanceId, license_key_id: license.id, store_id: store.id, name: marker })
    .execute();
  const ticket = await h.db
    .insertInto('tickets')
    .values({
      store_id: store.id,
      title: `${marker} ticket`,
      customer_id: randomUUID(),
      customer_email: `${marker}@example.com`,
      invoice_id: invoiceId,
      read_by: JSON.stringify([]),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const feedback = await h.db
    .insertInto('feedback')
    .values({
      store_id: store.id,
      invoice_id: invoiceId,
      listing_id: null,
      feedback: 'POSITIVE',
      rating: 5,
      message: marker,
      reply: null,
      metadata: JSON.stringify({}),
      deleted_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const keyRow = await h.db
    .selectFrom('api_keys')
    .select('id')
    .where('store_id', '=', store.id)
    .where('mode', '=', mode)
    .orderBy('id')
    .executeTakeFirstOrThrow();
  return {
    key,
    keyId: keyRow.id,
    marker,
    invoiceId,
    licenseKeyId: license.id,
    licenseKey,
    instanceId,
    ticketId: ticket.id,
    feedbackId: feedback.id,
    webhookId: webhook.body.data.id,
    notificationId: notification.body.data.id,
  };
}

/** The row of `world` a path parameter names, when it names a row that belongs to one mode. */
function ownedRow(path: string, name: string, world: World): string | number | null {
  switch (name) {
    case 'invoice':
    case 'charge':
    case 'charge_id':
      return world.invoiceId;
    case 'license_key':
      return world.licenseKeyId;
    case 'instance':
      return world.instanceId;
    case 'ticket':
      return world.ticketId;
    case 'feedback':
      return world.feedbackId;
    case 'id':
      if (path.startsWith('/api/v2/webhooks/')) return world.webhookId;
      if (path.startsWith('/api/v2/notifications/')) return world.notificationId;
      if (path.startsWith('/api/v2/api-keys/')) return world.keyId;
      return null;
    default:
      return null;
  }
}

/** Catalogue and other shared rows: path parameters that name no mode's row. */
function sharedValue(name: string): string | number {
  if (name === 'product' || name === 'ref') return productId;
  if (name === 'variant') return variantId;
  if (name === 'platform') return 'discord';
  if (name === 'method') return 'STRIPE';
  if (name === 'date') return '2026-01-01';
  return 987654321;
}

/** A sample body from the operation's schema, pointed at the other world's rows. */
function bodyFor(document: OpenApiDocument, path: string, operation: OpenApiOperation, other: World): unknown {
  const schema = operation.requestBody?.content?.['application/json']?.schema;
  if (!schema) return undefined;
  // A sampled search filter names a field no resource has: the empty search reaches the rows.
  if (path.endsWith('/search')) return {};
  const body = sample(schema as never, { skipReadOnly: true, maxSampleDepth: 4 }, document as never) as Record<string, unknown>;
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    if ('invoice_id' in body) body.invoice_id = other.invoiceId;
    if ('license_key' in body) body.license_key = other.licenseKey;
    if ('ids' in body) body.ids = [other.invoiceId];
  }
  return body;
}

/** Which rows belong to a mode: written out here apart from the rule table, so each checks the other. */
const inInvoices = (live: boolean) => sql`invoice_id in (select id from invoices where livemode = ${live})`;
const MODE_OF: Record<string, (live: boolean) => RawBuilder<unknown>> = {
  api_keys: (live) => sql`mode = ${live ? 'live' : 'test'}`,
  invoice_lines: inInvoices,
  delivery_steps: inInvoices,
  license_keys: inInvoices,
  feedback: inInvoices,
  coupon_redemptions: inInvoices,
  crypto_payments: inInvoices,
  crypto_payment_txs: inInvoices,
  invoice_community_links: inInvoices,
  tickets: (live) => sql`(${inInvoices(live)} or (invoice_id is null and ${live}))`,
  ticket_messages: (live) => sql`ticket_id in (select id from tickets where ${inInvoices(live)})`,
  license_key_instances: (live) => sql`license_key_id in (select id from license_keys where ${inInvoices(live)})`,
  subscription_payments: (live) => sql`subscription_id in (select id from subscriptions where livemode = ${live})`,
  webhook_deliveries: (live) => sql`endpoint_id in (select id from webhook_endpoints where livemode = ${live})`,
  notification_deliveries: (live) => sql`channel_id in (select id from notification_channels where livemode = ${live})`,
  // The catalogue is one for both worlds: no key of either may change what the other sees.
  products: () => sql`true`,
  product_variants: () => sql`true`,
};
const SHARED_TABLES = [
  'coupons',
  'sections',
  'groups',
  'group_products',
  'blacklists',
  'variant_serials',
  'payment_gateways',
  'affiliate_programs',
  'affiliates',
];

/** Every row of one world, and every shared row, as it stands. */
async function snapshot(of: Mode): Promise<Record<string, unknown[]>> {
  const live = of === 'live';
  const snap: Record<string, unknown[]> = {};
  for (const table of [...MODE_SCOPED_TABLES, ...SHARED_TABLES]) {
    const belongs = MODE_OF[table]?.(live) ?? (SHARED_TABLES.includes(table) ? sql`true` : sql`livemode = ${live}`);
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)} where ${belongs} order by 1`.execute(h.db);
    // A key is stamped as it is used: the walking key's own row is the only one that may move.
    snap[table] = rows.rows.map((row) => (table === 'api_keys' ? { ...row, last_used_at: null } : row));
  }
  return snap;
}

async function quiet(): Promise<void> {
  // The seeding's own events reach the dispatcher first, so that nothing moves under the walk.
  await waitFor(
    () =>
      h.db
        .selectFrom('events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('dispatched_at', 'is', null)
        .executeTakeFirstOrThrow(),
    (r) => Number(r.n) === 0,
  );
}

beforeAll(async () => {
  h = await startHarness({ worker: true });
  store = await h.createStore();
  ({ productId, variantId } = await createVariant(h, store.live, {
    deliverable: { types: ['TEXT'], data: { serials: 'S-1,S-2,S-3,S-4' } },
  }));
  worlds.live = await seedWorld('live');
  worlds.test = await seedWorld('test');
  await quiet();
}, 120_000);

afterAll(async () => {
  await h?.close();
});

async function walk(from: Mode): Promise<{ calls: number; refused: number; notFound: number }> {
  const other = worlds[from === 'live' ? 'test' : 'live'];
  const me = worlds[from];
  const document = (await request(h.app).get('/api/openapi.json').expect(200)).body as OpenApiDocument;
  const problems: string[] = [];
  const figures = { calls: 0, refused: 0, notFound: 0 };
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations) as [Method, OpenApiOperation][]) {
      const names = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      const owned = names.map((name) => ownedRow(path, name, other));
      const namesOtherRow = owned.some((v) => v !== null);
      // A live key is the seller's own: it manages the store's test keys by design.
      if (from === 'live' && path.startsWith('/api/v2/api-keys')) continue;
      // A live key's writes that name no row of the test world cannot reach it: they are the live world's business.
      const isRead = method === 'get' || /\/(search|validate)$/.test(path);
      const bodyNamesRows = /\/(feedback|tickets|licenses\/activate|payouts\/mark-paid)$/.test(path);
      if (from === 'live' && !isRead && !namesOtherRow && !bodyNamesRows) continue;

      const url = names.reduce((p, name, i) => p.replace(`{${name}}`, encodeURIComponent(String(owned[i] ?? sharedValue(name)))), path);
      const res = await call(me.key, method, url, bodyFor(document, path, operation, other));
      figures.calls += 1;
      const where = `${from} key: ${method.toUpperCase()} ${url} → ${res.status}`;
      const text = JSON.stringify(res.body ?? res.text);
      if (res.status >= 500) problems.push(`${where}: server error ${text.slice(0, 200)}`);
      if (text.includes(other.marker))
        problems.push(`${where}: shows the ${from === 'live' ? 'test' : 'live'} world: ${text.slice(0, 300)}`);
      if (from === 'test' && operation['x-sellflow-modes'] === 'live-only') {
        if (res.status !== 403 || res.body?.error?.code !== 'livemode_required')
          problems.push(`${where}: a live-only route answered a test key`);
        else figures.refused += 1;
        continue;
      }
      if (namesOtherRow) {
        if (res.status !== 404) problems.push(`${where}: a row of the other world must be a 404`);
        else figures.notFound += 1;
      }
    }
  }
  expect(problems).toEqual([]);
  return figures;
}

describe('live and test are two worlds', () => {
  it('a test key neither sees nor changes anything of the live world, on every operation', async () => {
    const before = await snapshot('live');
    const figures = await walk('test');
    expect(await snapshot('live')).toEqual(before);
    // The walk really reached routes of both kinds.
    expect(figures.refused).toBeGreaterThan(40);
    expect(figures.notFound).toBeGreaterThan(15);
    process.stdout.write(`livemode matrix (test key → live rows): ${JSON.stringify(figures)}\n`);
  }, 300_000);

  it('a live key neither sees nor changes anything of the test world', async () => {
    const before = await snapshot('test');
    const figures = await walk('live');
    expect(await snapshot('test')).toEqual(before);
    expect(figures.notFound).toBeGreaterThan(15);
    process.stdout.write(`livemode matrix (live key → test rows): ${JSON.stringify(figures)}\n`);
  }, 300_000);

  it('the findings: a test key cannot complete, read or revoke live things', async () => {
    const live = worlds.live;
    const test = store.test;
    expect((await call(test, 'patch', `/api/v2/invoices/${live.invoiceId}/mark-completed`)).status).toBe(404);
    expect((await call(test, 'get', `/api/v2/invoices/${live.invoiceId}`)).status).toBe(404);
    expect((await call(test, 'delete', `/api/v2/api-keys/${live.keyId}`)).status).toBe(404);
    expect((await call(test, 'patch', `/api/v2/license-keys/${live.licenseKeyId}`, { limit: 9 })).status).toBe(404);
    expect((await call(test, 'post', `/api/v1/tickets/${live.ticketId}/messages`, { content: 'hi' })).status).toBe(404);
    const deleted = await call(test, 'delete', `/api/v2/products/${productId}`);
    expect({ status: deleted.status, code: deleted.body.error.code }).toEqual({ status: 403, code: 'livemode_required' });
    // The live world is untouched and still answers its own key.
    const invoice = await call(live.key, 'get', `/api/v2/invoices/${live.invoiceId}`).expect(200);
    expect(invoice.body.data.status.status.status).not.toBe('COMPLETED');
    expect((await call(live.key, 'get', `/api/v2/license-keys/${live.licenseKeyId}`).expect(200)).body.data.limit).toBe(3);
  });
});
