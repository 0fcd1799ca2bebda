import { sql } from 'kysely';
import request from 'supertest';
import { InvoiceStatusConflictError } from '../../src/orders/errors';
import { updateInvoiceStatus } from '../../src/orders/update-status';
import { startSellerEndpoint } from '../fakes/seller-endpoint';
import { type StripeBilling, startStripeBilling } from '../fakes/stripe-billing';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/**
 * /v2/orders and /v2/line-items are the invoices seen in the spec's order model: the same rows,
 * the same `order` workflow, the same services behind every action.
 */
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
let other: Awaited<ReturnType<Harness['createStore']>>;
let manual: { productId: number; variantId: number };
let second: { productId: number; variantId: number };
let seller: Awaited<ReturnType<typeof startSellerEndpoint>>;
let stripe: StripeBilling;

beforeAll(async () => {
  stripe = await startStripeBilling();
  h = await startHarness({ worker: true, env: { STRIPE_API_BASE: stripe.url } });
  store = await h.createStore();
  other = await h.createStore();
  manual = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'thanks' } }, price: 700 });
  second = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'more' } }, price: 300 });
  seller = await startSellerEndpoint([{ status: 400, body: 'not today' }]);
  await h.db.updateTable('stores').set({ allow_http_webhooks: true }).where('id', '=', store.id).execute();
}, 120_000);
afterAll(async () => {
  await seller?.close();
  await h?.close();
  await stripe?.close();
});

type Method = 'get' | 'post' | 'put' | 'patch';
const call = (method: Method, url: string, body?: object, key = store.live) => {
  const req = request(h.app)[method](`/api${url}`).set('Authorization', `Bearer ${key}`);
  return body === undefined ? req : req.send(body);
};
const newOrder = async (email = 'maya@e.co', lines: Record<number, number> = { [manual.variantId]: 1 }) => {
  const res = await call('post', '/v2/orders', {
    customer_email: email,
    payment_method: 'PAYPAL',
    product_variants: Object.fromEntries(Object.entries(lines).map(([id, quantity]) => [id, { quantity }])),
  });
  expect(res.status).toBe(201);
  return res.body.data;
};
const orderOf = async (id: number) => (await call('get', `/v2/orders/${id}`)).body.data;
const completed = (id: number) =>
  waitFor(
    () => orderOf(id),
    (o) => o.status === 'COMPLETED',
  );

describe('one order, one invoice', () => {
  it('an order created at /v2/orders is the invoice at /v2/invoices/{id}, one row', async () => {
    const before = await h.db.selectFrom('invoices').select(h.db.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const order = await newOrder('same@e.co', { [manual.variantId]: 2, [second.variantId]: 1 });
    const after = await h.db.selectFrom('invoices').select(h.db.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n) - Number(before.n)).toBe(1);

    const invoice = (await call('get', `/v2/invoices/${order.id}`)).body.data;
    expect(invoice.id).toBe(order.id);
    expect(invoice.status.status.status).toBe(order.status);
    expect(order.status).toBe('PENDING');
    expect(order.customer).toMatchObject({ email: 'same@e.co' });
    expect(invoice.customer_information.email).toBe('same@e.co');
    expect(order.totals).toMatchObject({ currency: 'USD', total_cents: 1700, subtotal_cents: 1700 });
    expect(invoice.payment.full_price.base).toBe('1700');
    expect(order.line_items.map((l: { product_variant_id: number; quantity: number }) => [l.product_variant_id, l.quantity])).toEqual(
      invoice.product_variants.map((v: { id: number; quantity: number }) => [v.id, v.quantity]),
    );
    expect(order.payment).toMatchObject({ method: 'PAYPAL', has_checkout_url: false, checkout_url: null });
    // A plain read hands no checkout link over.
    expect((await orderOf(order.id)).payment).not.toHaveProperty('checkout_url');
  });

  it('a create retried with its Idempotency-Key is the same order', async () => {
    const body = { customer_email: 'retry@e.co', payment_method: 'PAYPAL', product_variants: { [manual.variantId]: { quantity: 1 } } };
    const first = await call('post', '/v2/orders').set('Idempotency-Key', 'order-retry-1').send(body);
    const again = await call('post', '/v2/orders').set('Idempotency-Key', 'order-retry-1').send(body);
    expect(first.status).toBe(201);
    expect(again.body.data.id).toBe(first.body.data.id);
    const rows = await h.db.selectFrom('invoices').select('id').where('customer_email', '=', 'retry@e.co').execute();
    expect(rows).toHaveLength(1);
  });

  it('an invoice created at /v2/invoices is an order, and a paid one completes through the same workflow', async () => {
    const res = await call('post', '/v2/invoices', {
      customer_email: 'inv@e.co',
      payment_method: 'PAYPAL',
      product_variants: { [manual.variantId]: { quantity: 1 } },
    });
    const id = res.body.data.id as number;
    expect((await orderOf(id)).status).toBe('PENDING');
    await call('patch', `/v2/invoices/${id}/mark-completed`);
    const order = await completed(id);
    expect(order.timeline.map((t: { status: string }) => t.status)).toEqual(['PENDING', 'PAID', 'COMPLETED']);
    expect(order.line_items[0].status).toBe('COMPLETED');
    const invoice = (await call('get', `/v2/invoices/${id}`)).body.data;
    expect(invoice.status.history.map((e: { status: string }) => e.status)).toEqual(['PENDING', 'PAID']);
  });
});

describe('statuses map both ways', () => {
  it('a status set on the order is the invoice’s, and one set on the invoice is the order’s', async () => {
    const a = await newOrder();
    const set = await call('patch', `/v2/orders/${a.id}/status`, { status: 'REVIEW', expected_status: 'PENDING' });
    expect(set.status).toBe(200);
    expect(set.body.data.status).toBe('REVIEW');
    expect((await call('get', `/v2/invoices/${a.id}`)).body.data.status.status.status).toBe('REVIEW');

    const b = await newOrder();
    await call('patch', `/v2/invoices/${b.id}/status`, { status: 'VOIDED' });
    const order = await orderOf(b.id);
    expect(order.status).toBe('VOIDED');
    expect(order.timeline.map((t: { status: string }) => t.status)).toEqual(['PENDING', 'VOIDED']);
  });

  it('refuses what the invoice routes refuse, with the same answer', async () => {
    const order = await newOrder();
    await call('patch', `/v2/orders/${order.id}/status`, { status: 'VOIDED' });
    const viaOrder = await call('patch', `/v2/orders/${order.id}/status`, { status: 'REVIEW' });
    const viaInvoice = await call('patch', `/v2/invoices/${order.id}/status`, { status: 'REVIEW' });
    expect(viaOrder.status).toBe(409);
    expect(viaOrder.body.error.code).toBe(viaInvoice.body.error.code);
    const stale = await call('patch', `/v2/orders/${order.id}/status`, { status: 'COMPLETED', expected_status: 'PENDING' });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('status_changed');
    const bad = await call('patch', `/v2/orders/${order.id}/status`, { status: 'SHIPPED' });
    expect(bad.status).toBe(422);
  });

  it('refuses a seller’s COMPLETED for a dispute that was settled otherwise after the request read it', async () => {
    const order = await newOrder();
    // The request read the order DISPUTING; by the time it moves, the dispute was lost (REVERSED).
    await h.db.updateTable('invoices').set({ status: 'REVERSED' }).where('id', '=', order.id).execute();
    const row = await h.db
      .selectFrom('invoices')
      .select(['id', 'store_id', 'expires_at', 'needs_attention'])
      .where('id', '=', order.id)
      .executeTakeFirstOrThrow();
    const engine = { db: h.db, client: h.temporal.client, taskQueue: h.taskQueue, crypto: h.config.crypto };
    await expect(updateInvoiceStatus(engine, { ...row, status: 'DISPUTING' }, 'COMPLETED')).rejects.toBeInstanceOf(
      InvoiceStatusConflictError,
    );
    expect((await h.db.selectFrom('invoices').select('status').where('id', '=', order.id).executeTakeFirstOrThrow()).status).toBe(
      'REVERSED',
    );
  });
});

describe('search', () => {
  it('filters with eq / in / contains, pages from the body, and refuses unknown fields and operators', async () => {
    const mine = await newOrder('searcher@findme.co');
    const byEmail = await call('post', '/v2/orders/search', { filters: [{ field: 'email', operator: 'contains', value: 'FINDME' }] });
    expect(byEmail.status).toBe(200);
    expect(byEmail.body.data.map((o: { id: number }) => o.id)).toEqual([mine.id]);

    const byId = await call('post', '/v2/orders/search', {
      filters: [
        { field: 'id', operator: 'eq', value: mine.id },
        { field: 'status', operator: 'in', value: ['PENDING', 'PAID'] },
      ],
    });
    expect(byId.body.data.map((o: { id: number }) => o.id)).toEqual([mine.id]);
    const none = await call('post', '/v2/orders/search', {
      filters: [
        { field: 'id', operator: 'eq', value: mine.id },
        { field: 'status', operator: 'in', value: ['COMPLETED'] },
      ],
    });
    expect(none.body.data).toEqual([]);

    const paged = await call('post', '/v2/orders/search', {
      sort: [{ field: 'created_at', direction: 'asc' }],
      pagination: { page: 2, limit: 1 },
    });
    expect(paged.body.meta).toMatchObject({ current_page: 2, per_page: 1 });
    expect(paged.body.data).toHaveLength(1);

    for (const body of [
      { filters: [{ field: 'secret_column', operator: 'eq', value: 1 }] },
      { filters: [{ field: 'status', operator: 'regex', value: '.*' }] },
      { pagination: { page: 0 } },
    ]) {
      const res = await call('post', '/v2/orders/search', body);
      expect(res.status).toBe(422);
      expect(res.body.error).toBeDefined();
    }
  });

  it('sees only the key’s own store and mode', async () => {
    const order = await newOrder();
    expect((await call('get', `/v2/orders/${order.id}`, undefined, other.live)).status).toBe(404);
    expect((await call('get', `/v2/orders/${order.id}`, undefined, store.test)).status).toBe(404);
    const theirs = await call('get', '/v2/orders', undefined, other.live);
    expect(theirs.body.data).toEqual([]);
    expect((await call('get', `/v2/line-items/${order.line_items[0].id}`, undefined, other.live)).status).toBe(404);
  });
});

describe('line items', () => {
  it('keep their ids everywhere and through the order’s life', async () => {
    const order = await newOrder('lines@e.co', { [manual.variantId]: 1, [second.variantId]: 3 });
    const ids = order.line_items.map((l: { id: number }) => l.id);
    expect(new Set(ids).size).toBe(2);

    const ofOrder = await call('get', `/v2/orders/${order.id}/line-items`);
    expect(ofOrder.body.data.map((l: { id: number }) => l.id).sort()).toEqual([...ids].sort());
    for (const id of ids) {
      const direct = (await call('get', `/v2/line-items/${id}`)).body.data;
      expect(direct).toMatchObject({ id, order: { id: order.id }, status: 'PENDING' });
      expect((await call('get', `/v2/orders/${order.id}/line-items/${id}`)).body.data.id).toBe(id);
    }

    await call('patch', `/v2/invoices/${order.id}/mark-completed`);
    const done = await completed(order.id);
    expect(done.line_items.map((l: { id: number }) => l.id)).toEqual(ids);
    const line = (await call('get', `/v2/line-items/${ids[1]}`)).body.data;
    expect(line).toMatchObject({
      status: 'COMPLETED',
      quantity: 3,
      amounts: { total_cents: 900, unit_price: '3.00' },
      fulfillment: { delivered_quantity: 3, types: ['MANUAL'] },
    });
  });

  it('search within the store or one order; another order’s line is a 404', async () => {
    const a = await newOrder('la@e.co', { [manual.variantId]: 1 });
    const b = await newOrder('lb@e.co', { [second.variantId]: 2 });
    const found = await call('post', '/v2/line-items/search', {
      filters: [
        { field: 'order_id', operator: 'eq', value: b.id },
        { field: 'quantity', operator: 'gte', value: 2 },
      ],
    });
    expect(found.body.data.map((l: { id: number }) => l.id)).toEqual([b.line_items[0].id]);
    const inA = await call('post', `/v2/orders/${a.id}/line-items/search`, {
      filters: [{ field: 'product_variant_id', operator: 'eq', value: second.variantId }],
    });
    expect(inA.body.data).toEqual([]);
    expect((await call('get', `/v2/orders/${a.id}/line-items/${b.line_items[0].id}`)).status).toBe(404);
    expect((await call('get', '/v2/line-items/999999')).status).toBe(404);
    expect((await call('post', '/v2/line-items/search', { sort: [{ field: 'nope', direction: 'asc' }] })).status).toBe(422);
  });
});

describe('events', () => {
  it('are the invoice’s event log, newest first, paged by cursor', async () => {
    const order = await newOrder('events@e.co');
    await call('patch', `/v2/invoices/${order.id}/mark-completed`);
    await completed(order.id);
    const all = await waitFor(
      () => call('get', `/v2/orders/${order.id}/events`).then((r) => r.body),
      (b) => b.data.some((e: { type: string }) => e.type === 'order.completed'),
    );
    const types = all.data.map((e: { type: string }) => e.type);
    expect(types).toEqual(expect.arrayContaining(['order.created', 'order.paid', 'order.completed']));
    expect(types[types.length - 1]).toBe('order.created');
    for (const e of all.data) expect(e.subject).toEqual({ type: 'order', id: String(order.id) });
    const logged = await h.db
      .selectFrom('events')
      .select('id')
      .where('store_id', '=', store.id)
      .where('type', 'like', 'order.%')
      .where(sql<string>`data->>'id'`, '=', String(order.id))
      .execute();
    expect(all.data.map((e: { id: string }) => e.id).sort()).toEqual(logged.map((r) => r.id).sort());

    const first = await call('get', `/v2/orders/${order.id}/events?limit=1`);
    expect(first.body.meta.has_more).toBe(true);
    const next = await call('get', `/v2/orders/${order.id}/events?limit=1&cursor=${first.body.meta.next_cursor}`);
    expect(next.body.data[0].id).toBe(all.data[1].id);
    expect((await call('get', `/v2/orders/${order.id}/events?limit=0`)).status).toBe(422);
  });
});

describe('fulfillment actions go through the order workflow, as the invoice routes do', () => {
  it('a retry with nothing failed is refused alike; a stuck dynamic delivery is retried by the workflow', async () => {
    const done = await newOrder('fine@e.co');
    await call('patch', `/v2/invoices/${done.id}/mark-completed`);
    await completed(done.id);
    const viaOrder = await call('post', `/v2/orders/${done.id}/fulfillment-retries`, {});
    const viaInvoice = await call('post', `/v2/invoices/${done.id}/fulfillment-retries`, {});
    expect(viaOrder.status).toBe(409);
    expect(viaOrder.body.error.code).toBe('already_delivered');
    expect(viaInvoice.body.error.code).toBe(viaOrder.body.error.code);

    const dynamic = await createVariant(h, store.live, { deliverable: { types: ['DYNAMIC'], data: { webhook: seller.url } } });
    const stuck = await newOrder('stuck@e.co', { [dynamic.variantId]: 1 });
    await call('patch', `/v2/invoices/${stuck.id}/mark-completed`);
    const invoice = await waitFor(
      () => call('get', `/v2/invoices/${stuck.id}`).then((r) => r.body.data),
      (b) => b.delivery.needs_attention,
    );
    const calls = seller.received.length;
    const retried = await call('post', `/v2/orders/${stuck.id}/fulfillment-retries`, {});
    expect(retried.status).toBe(200);
    expect(retried.body.meta).toEqual({ effects_reset: 1 });
    expect(retried.body.data.id).toBe(stuck.id);
    await waitFor(
      async () => seller.received.length,
      (n) => n > calls,
    );
    // The endpoint refused again: the order waits on ops once more.
    await waitFor(
      () => call('get', `/v2/invoices/${stuck.id}`).then((r) => r.body.data),
      (b) => b.delivery.needs_attention && b.delivery.steps[0].status === 'failed',
    );
    const again = await call('post', `/v2/orders/${stuck.id}/dynamic-delivery-retries`, {
      delivered_product_id: invoice.delivery.steps[0].id,
    });
    expect(again.status).toBe(202);
    expect(again.body.meta).toEqual({ queued: true });
    // Both retries were Updates the order's own workflow accepted, as the invoice routes' are.
    const history = await h.temporal.client.workflow.getHandle(`order-${stuck.id}`).fetchHistory();
    const accepted = history.events
      ?.map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name)
      .filter((name) => name !== undefined);
    expect(accepted).toEqual(['retryFulfillment', 'retryDynamicDelivery']);

    const deliverables = await call('get', `/v2/orders/${stuck.id}/deliverables`);
    expect(deliverables.body.data).toEqual([
      expect.objectContaining({ order_id: stuck.id, line_item_id: stuck.line_items[0].id, type: 'DYNAMIC', status: 'pending' }),
    ]);
    const email = await call('post', `/v2/orders/${stuck.id}/fulfillment-retries`, { email: 'x@e.co' });
    expect(email.status).toBe(422);
  });

  it('notices, replacements and checkout answer in the order model', async () => {
    const order = await newOrder('notice@e.co');
    const unpaid = await call('post', `/v2/orders/${order.id}/fulfillment-notifications`, {});
    expect(unpaid.status).toBe(409);
    expect(unpaid.body.error.code).toBe((await call('post', `/v2/invoices/${order.id}/fulfillment-notifications`, {})).body.error.code);
    await call('patch', `/v2/invoices/${order.id}/mark-completed`);
    await completed(order.id);
    const sent = await call('post', `/v2/orders/${order.id}/fulfillment-notifications`, {});
    expect(sent.status).toBe(200);
    expect(sent.body.meta.notifications_sent).toBeGreaterThanOrEqual(0);

    const replaced = await call('post', `/v2/orders/${order.id}/replacements`, { product_variants: [manual.variantId] });
    expect(replaced.status).toBe(200);
    expect(replaced.body.data.id).not.toBe(order.id);
    expect(replaced.body.data.replacement_of).toBe(order.id);
    expect((await call('get', `/v2/invoices/${order.id}`)).body.data.replacements).toEqual([replaced.body.data.id]);
    expect((await call('post', `/v2/orders/${order.id}/replacements`, { product_variants: [second.variantId] })).status).toBe(422);

    await call('put', '/v2/settings/payment-methods/STRIPE', { secret_key: 'sk_live_orders', webhook_secret: 'whsec_orders' }).expect(200);
    const card = await createVariant(h, store.live, {
      deliverable: { types: ['MANUAL'], data: { comment: 'card' } },
      payment_methods: ['STRIPE'],
    });
    const cardOrder = (
      await call('post', '/v2/orders', {
        customer_email: 'card@e.co',
        payment_method: 'STRIPE',
        product_variants: { [card.variantId]: { quantity: 1 } },
      })
    ).body.data;
    const session = await call('post', `/v2/orders/${cardOrder.id}/checkout`, {});
    expect(session.status).toBe(201);
    expect(session.body.data.payment).toMatchObject({ has_checkout_url: true, checkout_url: expect.stringMatching(/^https?:\/\//) });
    // The link is the invoice's; a plain read of the order says there is one without handing it over.
    expect((await call('get', `/v2/invoices/${cardOrder.id}`)).body.data.checkout).toBe(session.body.data.payment.checkout_url);
    const read = (await orderOf(cardOrder.id)).payment;
    expect(read.has_checkout_url).toBe(true);
    expect(read).not.toHaveProperty('checkout_url');

    const free = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'free' } }, price: 0 });
    const freeOrder = await newOrder('free@e.co', { [free.variantId]: 1 });
    const checkout = await call('post', `/v2/orders/${freeOrder.id}/checkout`, {});
    expect(checkout.status).toBe(200);
    expect(checkout.body.data.payment).toHaveProperty('checkout_url');
    await completed(freeOrder.id);
  });
});

describe('bad input', () => {
  it('answers 4xx in the envelope, never 500', async () => {
    const cases: [Method, string, object | undefined, number][] = [
      ['get', '/v2/orders/abc', undefined, 422],
      ['get', '/v2/orders/99999999', undefined, 404],
      ['get', '/v2/orders/99999999999999', undefined, 422],
      ['post', '/v2/orders', {}, 422],
      ['post', '/v2/orders', { customer_email: 'x@e.co', payment_method: 'PAYPAL', product_variants: { 99999: { quantity: 1 } } }, 422],
      ['post', '/v2/orders/search', { filters: 'all' }, 422],
      ['post', '/v2/orders/99999999/checkout', {}, 404],
      ['post', '/v2/orders/99999999/dynamic-delivery-retries', { delivered_product_id: 'x' }, 422],
      ['get', '/v2/orders/99999999/events', undefined, 404],
      ['get', '/v2/orders/99999999/line-items', undefined, 404],
      ['get', '/v2/line-items/-1', undefined, 422],
      ['get', '/v2/orders?limit=1000', undefined, 422],
    ];
    for (const [method, url, body, status] of cases) {
      const res = await call(method, url, body);
      expect({ url, status: res.status }).toEqual({ url, status });
      expect(res.body.error).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
    }
  });
});
