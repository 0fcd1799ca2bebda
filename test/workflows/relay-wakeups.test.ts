import { recordEvent } from '../../src/events/record';
import { recordIntent } from '../../src/outbox/record-intent';
import { workflowIds } from '../../src/temporal/workflow-ids';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';
import { startWebhookReceiver } from '../fakes/webhook-receiver';
import request from 'supertest';

/**
 * The outbox relay sleeps between news instead of polling the engine: idle, its history does
 * not grow; news (an event, an intent whose teller died, an invoice expiring) wakes it long
 * before its 5-minute sweep. Runs on whatever database the run has: Postgres wakes it by
 * LISTEN/NOTIFY, the embedded engine by the worker's database tick.
 */
let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
beforeAll(async () => {
  h = await startHarness({ worker: true });
  store = await h.createStore();
});
afterAll(() => h.close());

const dispatcher = () => h.temporal.client.workflow.getHandle(workflowIds.eventDispatcher(h.taskQueue));
async function historyOf() {
  const history = await dispatcher().fetchHistory();
  return history.events ?? [];
}
const sleeping = async () =>
  (await h.db.selectFrom('relay_state').select('sleeping').where('task_queue', '=', h.taskQueue).executeTakeFirst())?.sleeping === true;
/** Asleep: the flag is down and the workflow sits on its timer (the round's completion has reached the history). */
const asleep = () =>
  waitFor(
    async () => (await sleeping()) && Boolean((await historyOf()).at(-1)?.timerStartedEventAttributes),
    (s) => s,
    20_000,
  );

describe('the outbox relay sleeps until there is news', () => {
  it('adds nothing to its history while idle', async () => {
    await asleep();
    const before = (await historyOf()).length;
    // The polling relay took a round (timer, activity, three task events) every second.
    await new Promise((r) => setTimeout(r, 4_000));
    const after = await historyOf();
    expect(after.length).toBe(before);
    expect(await sleeping()).toBe(true);
  });

  it('wakes for an event and delivers its webhook; one signal, claimed once', async () => {
    const receiver = await startWebhookReceiver();
    try {
      await request(h.app)
        .post('/api/v2/webhooks')
        .set('Authorization', `Bearer ${store.live}`)
        .send({ url: receiver.url, events: ['product.created'] })
        .expect(201);
      await asleep();
      const signalsBefore = (await historyOf()).filter((e) => e.workflowExecutionSignaledEventAttributes).length;
      await recordEvent(h.db, { storeId: store.id, livemode: true, type: 'product.created', data: { id: 42 } });
      // Well inside the 5-minute sweep: only news can have woken it.
      await waitFor(
        () => Promise.resolve(receiver.received.length),
        (n) => n === 1,
        15_000,
      );
      await asleep();
      const signals = (await historyOf()).filter((e) => e.workflowExecutionSignaledEventAttributes);
      expect(signals.length - signalsBefore).toBe(1);
      expect(signals.at(-1)?.workflowExecutionSignaledEventAttributes?.signalName).toBe('outboxNews');
    } finally {
      await receiver.close();
    }
  });

  it('tells the engine what a teller that died owed: a paid order is started and delivered', async () => {
    const { variantId } = await createVariant(h, store.live, { deliverable: { types: ['TEXT'], data: { serials: 'R-1' } } });
    const created = await request(h.app)
      .post('/api/v2/invoices')
      .set('Authorization', `Bearer ${store.live}`)
      .send({ customer_email: 'buyer@example.com', payment_method: 'STRIPE', product_variants: { [variantId]: { quantity: 1 } } })
      .expect(201);
    const invoiceId = created.body.data.id as number;
    await asleep();
    // The API committed the payment and its intent, then died before telling anyone.
    await h.db.transaction().execute(async (trx) => {
      await trx.updateTable('invoices').set({ status: 'PAID', paid_at: new Date() }).where('id', '=', invoiceId).execute();
      await recordIntent(trx, { kind: 'order.payment_received', subjectId: invoiceId, detail: { source: 'test' } });
    });
    const done = await waitFor(
      () => h.db.selectFrom('invoices').select('status').where('id', '=', invoiceId).executeTakeFirstOrThrow(),
      (row) => row.status === 'COMPLETED',
      20_000,
    );
    expect(done.status).toBe('COMPLETED');
    const intents = await h.db.selectFrom('engine_intents').select(['delivered_at']).where('subject_id', '=', invoiceId).execute();
    expect(intents).toEqual([{ delivered_at: expect.any(Date) }]);
  });
});
