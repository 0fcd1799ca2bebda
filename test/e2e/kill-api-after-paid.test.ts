import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { freePort } from '../../src/temporal/dev-server';
import { mainTaskQueue } from '../../src/temporal/task-queues';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { spawnCli, waitForOutput } from '../helpers/cli';
import { type Harness, startHarness, testTemporalAddress } from '../helpers/harness';

/**
 * No paid order left behind (issue 17): a real `sellflow api` process dies by SIGKILL right
 * after it commits an invoice as PAID and before it tells the order workflow. Nobody
 * retries; the engine outbox's relay (the worker's event dispatcher) still delivers the
 * payment, and the order completes with its serial, once.
 */
const prefix = `kill-api-${randomUUID()}`;
let h: Harness;

beforeAll(async () => {
  // Two processes share the database: Postgres.
  h = await startHarness({ worker: true, taskQueue: mainTaskQueue(prefix), database: 'postgres' });
});
afterAll(() => h.close());

/** A real `sellflow api` that SIGKILLs itself right after its next commit that owes the engine news. */
async function apiThatDiesAfterCommit(failpoint: 'after-intent-commit' | 'after-invoice-commit' = 'after-intent-commit') {
  const port = await freePort();
  const api = spawnCli(['api'], {
    ...h.database.env,
    PORT: String(port),
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_TASK_QUEUE_PREFIX: prefix,
    SELLFLOW_DATA_DIR: h.config.dataDir,
    SELLFLOW_FAILPOINTS: failpoint,
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => api.once('exit', (_code, signal) => resolve(signal)));
  await waitForOutput(api, /api is up/, 60_000);
  return { api, port, exited };
}

it('delivers an order whose API died between the PAID commit and the signal, without a client retry', async () => {
  const store = await h.createStore();
  const { variantId } = await createVariant(h, store.live, { deliverable: { types: ['TEXT'], data: { serials: 'ONLY-ONE' } } });
  const invoice = (
    await request(h.app)
      .post('/api/v2/invoices')
      .set('Authorization', `Bearer ${store.live}`)
      .send({ customer_email: 'stranded@e.co', payment_method: 'PAYPAL', product_variants: { [variantId]: { quantity: 1 } } })
      .expect(201)
  ).body.data;

  const { api, port, exited } = await apiThatDiesAfterCommit();
  try {
    const call = request(`http://127.0.0.1:${port}`)
      .patch(`/api/v2/invoices/${invoice.id}/mark-completed`)
      .set('Authorization', `Bearer ${store.live}`);
    await expect(call).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(await exited).toBe('SIGKILL');

    // The commit happened; the signal did not.
    const paid = await h.db.selectFrom('invoices').select('status').where('id', '=', invoice.id).executeTakeFirstOrThrow();
    expect(paid.status).toBe('PAID');
    const owed = await h.db
      .selectFrom('engine_intents')
      .selectAll()
      .where('subject_id', '=', invoice.id)
      .where('kind', '=', 'order.payment_received')
      .execute();
    expect(owed).toHaveLength(1);

    const done = await waitFor(
      () => h.db.selectFrom('invoices').select('status').where('id', '=', invoice.id).executeTakeFirstOrThrow(),
      (row) => row.status === 'COMPLETED',
      30_000,
    );
    expect(done.status).toBe('COMPLETED');
    const delivered = await h.db
      .selectFrom('engine_intents')
      .select('delivered_at')
      .where('id', '=', owed[0]!.id)
      .executeTakeFirstOrThrow();
    expect(delivered.delivered_at).not.toBeNull();
    const sold = await h.db.selectFrom('variant_serials').select(['value', 'status']).where('variant_id', '=', variantId).execute();
    expect(sold).toEqual([{ value: 'ONLY-ONE', status: 'SOLD' }]);
  } finally {
    api.kill('SIGKILL');
  }
}, 120_000);

it('answers a create retried after the API died past its commit with that invoice, not a second one', async () => {
  const store = await h.createStore();
  const { variantId } = await createVariant(h, store.live, { deliverable: { types: ['MANUAL'], data: { comment: 'thanks' } } });
  const body = { customer_email: 'lost-answer@e.co', payment_method: 'PAYPAL', product_variants: { [variantId]: { quantity: 1 } } };
  const { api, port, exited } = await apiThatDiesAfterCommit('after-invoice-commit');
  try {
    const call = request(`http://127.0.0.1:${port}`)
      .post('/api/v2/invoices')
      .set('Authorization', `Bearer ${store.live}`)
      .set('Idempotency-Key', 'lost-answer-1')
      .send(body);
    await expect(call).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(await exited).toBe('SIGKILL');
    const committed = await h.db.selectFrom('invoices').select('id').where('customer_email', '=', 'lost-answer@e.co').execute();
    expect(committed).toHaveLength(1);

    // The dead process no longer renews its claim; once it lapses the client's retry runs again.
    const retry = async () =>
      request(h.app)
        .post('/api/v2/invoices')
        .set('Authorization', `Bearer ${store.live}`)
        .set('Idempotency-Key', 'lost-answer-1')
        .send(body);
    let answered = await retry();
    for (const deadline = Date.now() + 30_000; answered.status === 409 && Date.now() < deadline; answered = await retry())
      await new Promise((r) => setTimeout(r, 1000));
    expect(answered.status).toBe(201);
    expect(answered.body.data.id).toBe(committed[0]!.id);
    expect(await h.db.selectFrom('invoices').select('id').where('customer_email', '=', 'lost-answer@e.co').execute()).toHaveLength(1);
  } finally {
    api.kill('SIGKILL');
  }
}, 120_000);
