import request from 'supertest';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/** SellApp feedback and tickets (v1 paths): reviews of delivered orders, support threads, their events. */
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
beforeAll(async () => {
  h = await startHarness({ worker: true });
  store = await h.createStore();
});
afterAll(() => h.close());

const v1 = (method: 'get' | 'post' | 'patch', path: string, body?: object, key = store.live) =>
  request(h.app)[method](`/api/v1${path}`).set('Authorization', `Bearer ${key}`).send(body);
const v2 = (method: 'get' | 'post' | 'patch', path: string, body?: object) =>
  request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);
const eventsOf = (type: string) =>
  h.db.selectFrom('events').select('data').where('type', '=', type).where('store_id', '=', store.id).execute();

async function deliveredOrder(): Promise<number> {
  const { variantId } = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'thanks' } } });
  const invoice = (
    await v2('post', '/invoices', {
      customer_email: 'fan@e.co',
      payment_method: 'PAYPAL',
      product_variants: { [variantId]: { quantity: 1 } },
    }).expect(201)
  ).body.data;
  await v2('patch', `/invoices/${invoice.id}/mark-completed`).expect(200);
  await waitFor(
    () => v2('get', `/invoices/${invoice.id}`).then((r) => r.body.data),
    (b) => b.status.status.status === 'COMPLETED',
  );
  return invoice.id;
}

describe('feedback', () => {
  it('takes one review per delivered order, lists, searches, retrieves and replies; the store hears of it', async () => {
    const invoiceId = await deliveredOrder();
    const review = (await v1('post', '/feedback', { invoice_id: invoiceId, rating: 5, message: 'Instant delivery' }).expect(201)).body.data;
    expect(review).toMatchObject({
      feedback: 'POSITIVE',
      rating: 5,
      invoice_id: invoiceId,
      store_id: store.id,
      message: 'Instant delivery',
      reply: null,
      is_automatic: false,
    });
    const again = await v1('post', '/feedback', { invoice_id: invoiceId, rating: 1 });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('feedback_exists');
    expect((await v1('get', '/feedback').expect(200)).body.data.map((f: { id: number }) => f.id)).toContain(review.id);
    expect(
      (
        await v1('post', '/feedback/search', {
          filters: [{ field: 'rating', operator: '>=', value: 4 }],
          search: { value: 'instant' },
        }).expect(200)
      ).body.data.map((f: { id: number }) => f.id),
    ).toEqual([review.id]);
    const replied = (await v1('patch', `/feedback/${review.id}`, { reply: 'Thank you!' }).expect(200)).body.data;
    expect(replied.reply).toBe('Thank you!');
    expect((await v1('get', `/feedback/${review.id}`).expect(200)).body.data.reply).toBe('Thank you!');
    expect((await eventsOf('feedback.created')).map((e) => e.data.id)).toEqual([review.id]);
  });

  it('refuses reviews of undelivered or foreign orders, bad ratings, and other stores', async () => {
    const { variantId } = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'x' } } });
    const pending = (
      await v2('post', '/invoices', {
        customer_email: 'p@e.co',
        payment_method: 'PAYPAL',
        product_variants: { [variantId]: { quantity: 1 } },
      }).expect(201)
    ).body.data;
    expect((await v1('post', '/feedback', { invoice_id: pending.id, rating: 3 })).body.error.code).toBe('invalid_status');
    expect((await v1('post', '/feedback', { invoice_id: pending.id, rating: 6 })).status).toBe(422);
    const other = await h.createStore();
    expect((await v1('post', '/feedback', { invoice_id: pending.id, rating: 3 }, other.live)).body.error.param).toBe('invoice_id');
    expect((await v1('get', '/feedback', undefined, other.live)).body.data).toEqual([]);
  });
});

describe('tickets', () => {
  it('opens a ticket about an order, threads customer and store messages, and records each message', async () => {
    const invoiceId = await deliveredOrder();
    const ticket = (
      await v1('post', '/tickets', {
        title: 'Key not working',
        customer_email: 'Fan@E.co',
        content: 'It says invalid',
        invoice_id: invoiceId,
      }).expect(201)
    ).body.data;
    expect(ticket).toMatchObject({
      title: 'Key not working',
      status: 'OPEN',
      customer: { email: 'fan@e.co' },
      reference: [String(invoiceId)],
      invoice_id: invoiceId,
      archived: 0,
      store_id: store.id,
    });
    const reply = (await v1('post', `/tickets/${ticket.id}/messages`, { content: 'Try this one' }).expect(201)).body.data;
    expect(reply).toMatchObject({ author: 'STORE', sender: null, content: 'Try this one', ticket_id: ticket.id });
    await v1('post', `/tickets/${ticket.id}/customer-messages`, { content: 'Works, thanks' }).expect(201);
    const thread = (await v1('get', `/tickets/${ticket.id}/messages`).expect(200)).body.data;
    expect(thread.map((m: { author: string; sender: string | null }) => [m.author, m.sender])).toEqual([
      ['CUSTOMER', 'fan@e.co'],
      ['STORE', null],
      ['CUSTOMER', 'fan@e.co'],
    ]);
    expect((await v1('post', `/tickets/${ticket.id}/messages/search`, { search: { value: 'thanks' } }).expect(200)).body.data).toHaveLength(
      1,
    );
    expect((await v1('get', `/tickets/${ticket.id}/messages/${reply.id}`).expect(200)).body.data.content).toBe('Try this one');
    expect(
      (await v1('post', '/tickets/search', { filters: [{ field: 'email', operator: '=', value: 'fan@e.co' }] }).expect(200)).body.data.map(
        (t: { id: number }) => t.id,
      ),
    ).toContain(ticket.id);
    // Same customer, same id.
    const second = (await v1('post', '/tickets', { title: 'Another', customer_email: 'fan@e.co', content: 'Hi' }).expect(201)).body.data;
    expect(second.customer.id).toBe(ticket.customer.id);
    expect(second.reference).toEqual([]);
    const messageEvents = (await eventsOf('ticket_message.created')).filter((e) => e.data.ticket_id === ticket.id);
    expect(messageEvents.map((e) => e.data.author)).toEqual(['CUSTOMER', 'STORE', 'CUSTOMER']);
  });

  it('closes, archives and reopens a ticket (PATCH /v2/tickets/:ticket); a closed ticket takes no customer message', async () => {
    const ticket = (await v1('post', '/tickets', { title: 'Refund?', customer_email: 'c@e.co', content: 'Please' }).expect(201)).body.data;
    const closed = (await v2('patch', `/tickets/${ticket.id}`, { status: 'CLOSED', archived: true }).expect(200)).body.data;
    expect(closed).toMatchObject({ id: ticket.id, status: 'CLOSED', archived: 1, message_count: 1 });
    expect((await v1('post', `/tickets/${ticket.id}/customer-messages`, { content: 'Hello?' })).status).toBe(422);
    expect((await v2('patch', `/tickets/${ticket.id}`, { status: 'OPEN' }).expect(200)).body.data).toMatchObject({
      status: 'OPEN',
      archived: 1,
    });
    expect((await v2('patch', `/tickets/${ticket.id}`, { status: 'PENDING' })).status).toBe(422);
  });

  it('validates input and keeps stores apart', async () => {
    const ticket = (await v1('post', '/tickets', { title: 'Hello', customer_email: 'a@e.co', content: 'Hi' }).expect(201)).body.data;
    expect((await v1('post', `/tickets/${ticket.id}/messages`, { content: '' })).status).toBe(422);
    expect((await v1('post', '/tickets', { title: 'x', customer_email: 'not-an-email', content: 'x' })).status).toBe(422);
    const other = await h.createStore();
    expect((await v1('get', `/tickets/${ticket.id}`, undefined, other.live)).status).toBe(404);
    expect((await v1('post', `/tickets/${ticket.id}/messages`, { content: 'x' }, other.live)).status).toBe(404);
    expect((await v1('get', `/tickets/${ticket.id}/messages/999999`)).status).toBe(404);
  });
});
