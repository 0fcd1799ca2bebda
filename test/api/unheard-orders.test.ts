import request from 'supertest';
import { transitionInvoice } from '../../src/orders/invoice-transitions';
import { recordIntent } from '../../src/outbox/record-intent';
import { createVariant } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';

/**
 * A paid order whose workflow never heard of the payment (the API died after the commit
 * and the relay cannot reach Temporal either) is shown to ops with why and since when, and
 * an ops retry tells the engine.
 */
let h: Harness;
beforeAll(async () => {
  // No worker: no relay runs, so the intent stays owed as long as the test wants.
  h = await startHarness();
});
afterAll(() => h.close());

it('lists an order the engine has not heard of in ops/stuck-orders and the console, and an ops retry delivers the news', async () => {
  const store = await h.createStore();
  const api = (method: 'get' | 'post', path: string, body?: object) =>
    request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);
  const { variantId } = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'x' } } });
  const invoice = (
    await api('post', '/invoices', {
      customer_email: 'unheard@e.co',
      payment_method: 'PAYPAL',
      product_variants: { [variantId]: { quantity: 1 } },
    }).expect(201)
  ).body.data;

  // The API's crash, replayed by hand: PAID and the owed signal committed, the signal never sent.
  const intentId = await h.db.transaction().execute(async (trx) => {
    await transitionInvoice(trx, invoice.id, 'PAID', { event: 'order.paid', also: { paid_at: new Date() } });
    return recordIntent(trx, { kind: 'order.payment_received', subjectId: invoice.id, detail: { source: 'test' } });
  });
  expect((await api('get', '/ops/stuck-orders').expect(200)).body.unheard).toEqual([]);
  await h.db
    .updateTable('engine_intents')
    .set({ created_at: new Date(Date.now() - 60_000), attempts: 3, last_error: 'Temporal unreachable' })
    .where('id', '=', intentId)
    .execute();

  const stuck = (await api('get', '/ops/stuck-orders').expect(200)).body;
  expect(stuck.data.map((o: { id: number }) => o.id)).toEqual([invoice.id]);
  expect(stuck.unheard).toEqual([
    {
      invoice_id: invoice.id,
      kind: 'order.payment_received',
      since: expect.any(String),
      attempts: 3,
      reason: expect.stringMatching(/^the engine has not heard order\.payment_received since .* after 3 tries \(Temporal unreachable\)$/),
    },
  ]);

  // The ops console's needs-attention list shows it too, with the same reason.
  const browser = request.agent(h.app);
  await browser.post('/console/sign-in').type('form').send({ api_key: store.live }).expect(303);
  const attention = (await browser.get('/console').expect(200)).text;
  expect(attention).toContain(`href="/console/orders/${invoice.id}"`);
  expect(attention).toMatch(/the engine has not heard order\.payment_received/);

  await api('post', `/invoices/${invoice.id}/retry`, {}).expect(202);
  const intent = await h.db
    .selectFrom('engine_intents')
    .select(['delivered_at', 'last_error'])
    .where('id', '=', intentId)
    .executeTakeFirstOrThrow();
  expect(intent).toEqual({ delivered_at: expect.any(Date), last_error: null });
  // The order's workflow has the payment now.
  const history = await h.temporal.client.workflow.getHandle(`order-${invoice.id}`).fetchHistory();
  const signals = history.events?.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'paymentReceived') ?? [];
  expect(signals).toHaveLength(1);
  expect((await api('get', '/ops/stuck-orders').expect(200)).body.unheard).toEqual([]);
});
