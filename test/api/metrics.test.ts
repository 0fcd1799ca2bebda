import request from 'supertest';
import { createVariant, waitFor } from '../helpers/catalog-fixtures';
import { type Harness, startHarness } from '../helpers/harness';
import { startSellerEndpoint } from '../fakes/seller-endpoint';
import { freePort } from '../../src/temporal/dev-server';
import { spawnCli, waitForOutput } from '../helpers/cli';

let h: Harness;
let store: Awaited<ReturnType<Harness['createStore']>>;
beforeAll(async () => {
  h = await startHarness({ worker: true, database: 'postgres' });
  store = await h.createStore();
  await h.db.updateTable('stores').set({ allow_http_webhooks: true }).execute();
});
afterAll(() => h.close());

const api = (method: 'get' | 'post' | 'patch', path: string, body?: object) =>
  request(h.app)[method](`/api/v2${path}`).set('Authorization', `Bearer ${store.live}`).send(body);

/** One sample's value from Prometheus text (0 when the series is absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && wanted.every((w) => l.includes(w)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

const scrape = async () => {
  const res = await request(h.app).get('/metrics');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toContain('text/plain');
  return res.text;
};

it('GET /metrics: an order moves the request, order, attention, activity and webhook series', async () => {
  const seller = await startSellerEndpoint([{ status: 404, body: 'no such product' }]);
  const receiver = await startSellerEndpoint([{ status: 200, body: 'ok' }]);
  try {
    await api('post', '/webhooks', { url: receiver.url, events: ['order.completed'] }).expect(201);
    const before = await scrape();
    const { variantId } = await createVariant(h, store.live, {
      deliverable: { types: ['DYNAMIC'], data: { webhook: seller.url, stock: 5 } },
    });
    const created = await api('post', '/invoices', {
      customer_email: 'buyer@example.com',
      payment_method: 'PAYPAL',
      product_variants: { [variantId]: { quantity: 1 } },
    });
    const id = created.body.data.id as number;
    await api('patch', `/invoices/${id}/mark-completed`).expect(200);
    await waitFor(
      () => api('get', `/invoices/${id}`).then((r) => r.body.data),
      (b) => b.delivery.needs_attention,
    );

    const stuck = await scrape();
    const invoicesCreated = { method: 'POST', route: '/api/v2/invoices', status: '201' };
    expect(sample(stuck, 'sellflow_http_requests_total', invoicesCreated)).toBe(
      sample(before, 'sellflow_http_requests_total', invoicesCreated) + 1,
    );
    expect(sample(stuck, 'sellflow_http_request_duration_seconds_count', invoicesCreated)).toBeGreaterThan(0);
    expect(sample(stuck, 'sellflow_needs_attention', { kind: 'orders' })).toBe(1);
    expect(sample(stuck, 'sellflow_orders', { status: 'PAID' })).toBe(1);
    // The seller's 404 fails the dynamic delivery activity for good.
    expect(sample(stuck, 'sellflow_activity_failures_total')).toBeGreaterThan(sample(before, 'sellflow_activity_failures_total'));
    expect(sample(stuck, 'sellflow_activity_attempts_total', { outcome: 'completed' })).toBeGreaterThan(0);

    seller.replies.splice(0, 1, { status: 200, body: 'KEY-1' });
    await api('post', `/invoices/${id}/retry`, {}).expect(202);
    await waitFor(
      () => api('get', `/invoices/${id}`).then((r) => r.body.data.status.status.status),
      (status) => status === 'COMPLETED',
    );
    const done = await waitFor(scrape, (text) => sample(text, 'sellflow_webhook_delivery_attempts_total', { outcome: 'succeeded' }) > 0);
    expect(sample(done, 'sellflow_orders', { status: 'COMPLETED' })).toBe(1);
    expect(sample(done, 'sellflow_needs_attention', { kind: 'orders' })).toBe(0);
    expect(sample(done, 'sellflow_webhook_delivery_duration_seconds_count', { outcome: 'succeeded' })).toBeGreaterThan(0);
    expect(done).toContain('sellflow_process_cpu_user_seconds_total');
  } finally {
    await seller.close();
    await receiver.close();
  }
});

it('a worker process serves its metrics and the Temporal SDK worker metrics on METRICS_PORT', async () => {
  const port = await freePort();
  const worker = spawnCli(['worker'], {
    ...h.database.env,
    TEMPORAL_ADDRESS: h.config.temporal.address!,
    TEMPORAL_TASK_QUEUE_PREFIX: `metrics-${port}`,
    SELLFLOW_DATA_DIR: h.config.dataDir,
    METRICS_PORT: String(port),
  });
  try {
    await waitForOutput(worker, /worker is up/, 60_000);
    const text = await waitFor(
      () => fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()),
      (body) => body.includes('temporal_worker_task_slots_available') || body.includes('temporal_num_pollers'),
      20_000,
    );
    expect(text).toContain('sellflow_process_cpu_user_seconds_total');
    expect(text).toContain('# TYPE sellflow_activity_failures_total counter');
  } finally {
    worker.kill('SIGKILL');
  }
}, 90_000);
