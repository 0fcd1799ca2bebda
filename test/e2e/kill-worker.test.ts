import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { mainTaskQueue } from '../../src/temporal/task-queues';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { spawnCli, waitForOutput } from '../helpers/cli';
import { type Harness, startHarness, testTemporalAddress } from '../helpers/harness';
import { startSellerEndpoint } from '../fakes/seller-endpoint';

/**
 * Exactly once across a crash: a real `sellflow worker` process is SIGKILLed in the middle
 * of delivering 20 paid orders and a new one is started. Every order completes, every
 * serial goes to exactly one order, and every dynamic webhook's effect lands once (the
 * seller dedupes by the Idempotency-Key we derive from invoice + step).
 */
const ORDERS = 20;
const prefix = `kill-${randomUUID()}`;
let h: Harness;

beforeAll(async () => {
  // Two processes write at once: Postgres (DATABASE_URL, else the machine's local server).
  h = await startHarness({ taskQueue: mainTaskQueue(prefix), database: 'postgres' });
});
afterAll(() => h.close());

function startWorker() {
  const child = spawnCli(['worker'], {
    ...h.database.env,
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_TASK_QUEUE_PREFIX: prefix,
    SELLFLOW_DATA_DIR: h.config.dataDir,
    SELLFLOW_ENCRYPTION_KEY: 'a'.repeat(64),
    // The seller's fake listens on loopback.
    WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
  });
  return { child, up: waitForOutput(child, /worker is up/, 60_000) };
}

it('completes every order exactly once when the worker is killed mid-delivery', async () => {
  // The seller is slow, so the kill lands while calls are in flight.
  const seller = await startSellerEndpoint([{ status: 200, body: 'generated-account', delayMs: 1500 }]);
  const store = await h.createStore();
  await h.db.updateTable('stores').set({ allow_http_webhooks: true }).where('id', '=', store.id).execute();
  const serials = Array.from({ length: ORDERS }, (_, i) => `K-${i}`);
  const api = (method: 'get' | 'post' | 'patch', path: string, body?: object) =>
    request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);
  let worker = startWorker();
  try {
    const { variantId } = await createVariant(h, store.live, {
      deliverable: { types: ['TEXT', 'DYNAMIC'], data: { serials, webhook: seller.url } },
    });
    await worker.up;
    const invoices = await Promise.all(
      Array.from({ length: ORDERS }, () =>
        api('post', '/invoices', {
          customer_email: 'k@e.co',
          payment_method: 'PAYPAL',
          product_variants: { [variantId]: { quantity: 1 } },
        }).then((r) => r.body.data.id as number),
      ),
    );
    await Promise.all(invoices.map((id) => api('patch', `/invoices/${id}/mark-completed`).expect(200)));
    await waitFor(
      () => Promise.resolve(seller.received.length),
      (n) => n >= 3,
      30_000,
    );
    worker.child.kill('SIGKILL');
    await new Promise((resolve) => worker.child.once('exit', resolve));
    // The kill landed mid-delivery: some orders were not complete yet.
    const completedAtKill = await h.db
      .selectFrom('invoices')
      .select('id')
      .where('id', 'in', invoices)
      .where('status', '=', 'COMPLETED')
      .execute();
    expect(completedAtKill.length).toBeLessThan(ORDERS);

    worker = startWorker();
    await worker.up;
    const finished = await waitFor(
      () => Promise.all(invoices.map((id) => api('get', `/invoices/${id}`).then((r) => r.body.data))),
      (all) => all.every((b) => b.status.status.status === 'COMPLETED'),
      120_000,
    );
    expect(finished).toHaveLength(ORDERS);

    const deliverables = await Promise.all(
      invoices.map((id) => api('get', `/invoices/${id}/deliverables`).then((r) => r.body.data[0].deliverable.data)),
    );
    const handedOut = deliverables.flatMap((d) => d.serials);
    expect(handedOut).toHaveLength(ORDERS);
    expect(new Set(handedOut)).toEqual(new Set(serials));
    expect(deliverables.every((d) => d.dynamic === 'generated-account')).toBe(true);
    // One effect per order: every call carried its order's key, and the keys are one per order.
    const keys = new Set(seller.received.map((r) => r.idempotencyKey));
    expect(keys.size).toBe(ORDERS);
    for (const id of invoices) expect([...keys].filter((k) => k?.startsWith(`invoice-${id}/`))).toHaveLength(1);
  } finally {
    worker.child.kill('SIGKILL');
    await seller.close();
  }
}, 240_000);
