import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import request from 'supertest';
import { mainTaskQueue } from '../../src/temporal/task-queues';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { spawnCli, waitForOutput } from '../helpers/cli';
import { type Harness, startHarness, testTemporalAddress } from '../helpers/harness';
import { startSellerEndpoint } from '../fakes/seller-endpoint';

/**
 * A deploy's SIGTERM (issue 17): a real `sellflow worker` process stops taking work and lets
 * a delivery already on the wire finish within WORKER_SHUTDOWN_GRACE_SECONDS, so the seller's
 * endpoint is called once; a delivery slower than the grace is cut off and handed over to
 * the next worker, which calls again under the same Idempotency-Key.
 */
const prefix = `graceful-${randomUUID()}`;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ taskQueue: mainTaskQueue(prefix), database: 'postgres' });
});
afterAll(() => h.close());

function startWorker(graceSeconds: number) {
  const child = spawnCli(['worker'], {
    ...h.database.env,
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_TASK_QUEUE_PREFIX: prefix,
    SELLFLOW_DATA_DIR: h.config.dataDir,
    SELLFLOW_ENCRYPTION_KEY: 'a'.repeat(64),
    WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
    WORKER_SHUTDOWN_GRACE_SECONDS: String(graceSeconds),
  });
  const exit = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.once('exit', (code) => resolve({ code, at: Date.now() })),
  );
  return { child, exit, up: waitForOutput(child, /worker is up/, 60_000) };
}

async function paidDynamicOrder(sellerUrl: string): Promise<{ invoiceId: number; api: ReturnType<typeof apiOf> }> {
  const store = await h.createStore();
  await h.db.updateTable('stores').set({ allow_http_webhooks: true }).where('id', '=', store.id).execute();
  const { variantId } = await createVariant(h, store.live, { deliverable: { types: ['DYNAMIC'], data: { webhook: sellerUrl } } });
  const api = apiOf(store.live);
  const created = await api('post', '/invoices', {
    customer_email: 'grace@e.co',
    payment_method: 'PAYPAL',
    product_variants: { [variantId]: { quantity: 1 } },
  }).expect(201);
  const invoiceId = created.body.data.id as number;
  await api('patch', `/invoices/${invoiceId}/mark-completed`).expect(200);
  return { invoiceId, api };
}

function apiOf(key: string) {
  return (method: 'get' | 'post' | 'patch', path: string, body?: object) =>
    request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${key}`).send(body);
}

async function completed(api: ReturnType<typeof apiOf>, invoiceId: number) {
  return waitFor(
    () => api('get', `/invoices/${invoiceId}`).then((r) => r.body.data),
    (invoice) => invoice.status.status.status === 'COMPLETED',
    60_000,
  );
}

function stop(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** A paid order whose dynamic delivery is on the wire when the worker gets SIGTERM; resolves once the worker exits. */
async function sigtermDuringDelivery(worker: ReturnType<typeof startWorker>, seller: { url: string; received: unknown[] }) {
  await worker.up;
  const { invoiceId, api } = await paidDynamicOrder(seller.url);
  await waitFor(
    () => Promise.resolve(seller.received.length),
    (n) => n === 1,
    30_000,
  );
  const signalledAt = Date.now();
  worker.child.kill('SIGTERM');
  return { invoiceId, api, exit: await worker.exit, signalledAt };
}

it('lets an in-flight delivery finish on SIGTERM: the seller is called once and the worker exits cleanly', async () => {
  const seller = await startSellerEndpoint([{ status: 200, body: 'slow-account', delayMs: 4000 }]);
  const first = startWorker(30);
  let second: ReturnType<typeof startWorker> | undefined;
  try {
    const { invoiceId, api, exit, signalledAt } = await sigtermDuringDelivery(first, seller);
    expect(exit.code).toBe(0);
    // It waited for the seller's answer (4 s after the call) rather than cutting it off.
    expect(exit.at - signalledAt).toBeGreaterThan(2500);
    const step = await h.db
      .selectFrom('delivery_steps as s')
      .innerJoin('invoice_lines as l', 'l.id', 's.line_id')
      .select(['s.status', 's.attempts'])
      .where('l.invoice_id', '=', invoiceId)
      .executeTakeFirstOrThrow();
    expect(step).toEqual({ status: 'delivered', attempts: 1 });

    second = startWorker(30);
    await second.up;
    await completed(api, invoiceId);
    const deliverables = (await api('get', `/invoices/${invoiceId}/deliverables`).expect(200)).body.data;
    expect(deliverables[0].deliverable.data.dynamic).toBe('slow-account');
    expect(seller.received).toHaveLength(1);
  } finally {
    stop(first.child);
    if (second) stop(second.child);
    await seller.close();
  }
}, 180_000);

it('hands a delivery slower than the grace over to the next worker, under the same Idempotency-Key', async () => {
  const seller = await startSellerEndpoint([
    { status: 200, body: 'too-late', delayMs: 20_000 },
    { status: 200, body: 'handed-over', delayMs: 0 },
  ]);
  const first = startWorker(1);
  let second: ReturnType<typeof startWorker> | undefined;
  try {
    const { invoiceId, api, exit, signalledAt } = await sigtermDuringDelivery(first, seller);
    expect(exit.code).toBe(0);
    // Cut off after the 1 s grace, long before the seller's 20 s answer.
    expect(exit.at - signalledAt).toBeLessThan(10_000);

    second = startWorker(30);
    await second.up;
    await completed(api, invoiceId);
    const deliverables = (await api('get', `/invoices/${invoiceId}/deliverables`).expect(200)).body.data;
    expect(deliverables[0].deliverable.data.dynamic).toBe('handed-over');
    expect(seller.received).toHaveLength(2);
    expect(new Set(seller.received.map((r) => r.idempotencyKey)).size).toBe(1);
  } finally {
    stop(first.child);
    if (second) stop(second.child);
    await seller.close();
  }
}, 180_000);
