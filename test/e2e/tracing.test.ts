import { type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStore } from '../../src/accounts/stores';
import { freePort } from '../../src/temporal/dev-server';
import { waitFor } from '../helpers/catalog-fixtures';
import { spawnCli, waitForOutput } from '../helpers/cli';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { testTemporalAddress } from '../helpers/harness';
import { startOtlpReceiver } from '../fakes/otlp-receiver';
import { startSellerEndpoint } from '../fakes/seller-endpoint';

/**
 * Issue 21 item 4: one trace from the API call through the order workflow and its activities to
 * the seller's dynamic-delivery endpoint, exported over OTLP/HTTP (protobuf) by a real
 * `sellflow start` process to a receiver on loopback; its logs name the trace beside the request id.
 */
let database: TestDatabase;
let child: ChildProcess | undefined;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sellflow-tracing-'));

beforeAll(async () => {
  database = await createTestDatabase({ kind: 'postgres' });
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await database?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('traces an order from the API call to the outbound webhook in one trace', async () => {
  const receiver = await startOtlpReceiver();
  const seller = await startSellerEndpoint([{ status: 200, body: 'generated-account' }]);
  try {
    const created = await database.db.transaction().execute((trx) => createStore(trx, { slug: 'traced' }));
    await database.db.updateTable('stores').set({ allow_http_webhooks: true }).where('id', '=', created.store.id).execute();
    const port = await freePort();
    child = spawnCli(['start'], {
      ...database.env,
      TEMPORAL_ADDRESS: testTemporalAddress(),
      TEMPORAL_TASK_QUEUE_PREFIX: `traced-${randomUUID()}`,
      PORT: String(port),
      SELLFLOW_DATA_DIR: dir,
      SELLFLOW_ENCRYPTION_KEY: 'a'.repeat(64),
      WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
      LOG_LEVEL: 'info',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      // Batches leave every 100 ms instead of every 5 s: the test waits less.
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    let logs = '';
    child.stdout?.on('data', (chunk: Buffer) => (logs += chunk.toString()));
    await waitForOutput(child, /is up/, 120_000);

    const call = async (method: string, route: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(`http://127.0.0.1:${port}/api/v2${route}`, {
        method,
        headers: { authorization: `Bearer ${created.keys.live.key}`, 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, requestId: res.headers.get('x-request-id'), body: (await res.json()) as { data: { id: number } } };
    };
    const product = await call('POST', '/products', { title: 'Traced', description: 'd', visibility: 'PUBLIC' });
    const variant = await call('POST', `/products/${product.body.data.id}/variants`, {
      title: 'Account',
      description: 'd',
      pricing: { humble: false, price: { price: 500, currency: 'USD' } },
      payment_methods: ['PAYPAL'],
      deliverable: { types: ['DYNAMIC'], data: { webhook: seller.url } },
    });
    expect(variant.status).toBe(201);

    const invoice = await call('POST', '/invoices', {
      customer_email: 't@e.co',
      payment_method: 'PAYPAL',
      product_variants: { [variant.body.data.id]: { quantity: 1 } },
    });
    expect(invoice.status).toBe(201);
    // The caller's own trace: the payment starts the order (an unpaid invoice has no workflow), and
    // the order's spans must join the payment's trace.
    const traceId = randomBytes(16).toString('hex');
    const paid = await call('PATCH', `/invoices/${invoice.body.data.id}/mark-completed`, undefined, {
      traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
    });
    expect(paid.status).toBe(200);
    await waitFor(
      async () => seller.received.length,
      (n) => n > 0,
      60_000,
    );

    // The workflow's span is exported when the order completes, after the delivery's.
    const spansOfTrace = await waitFor(
      async () => receiver.spans.filter((s) => s.traceId === traceId),
      (spans) => spans.some((s) => s.name === 'RunWorkflow:order'),
      30_000,
    );
    const names = spansOfTrace.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'PATCH /api/v2/invoices/:invoice/mark-completed',
        'SignalWithStartWorkflow:order',
        'RunWorkflow:order',
        'StartActivity:runDeliveryStep',
        'RunActivity:runDeliveryStep',
      ]),
    );
    // Every span of the trace hangs off another one in it, up to the caller's: one tree, not fragments.
    const ids = new Set(spansOfTrace.map((s) => s.spanId));
    expect(spansOfTrace.filter((s) => !ids.has(s.parentSpanId ?? ''))).toEqual([
      expect.objectContaining({ name: 'PATCH /api/v2/invoices/:invoice/mark-completed' }),
    ]);
    // The outbound call (guardedFetch, undici) is a client span of the activity's, and the seller sees the trace.
    const delivery = spansOfTrace.find((s) => s.name === 'RunActivity:runDeliveryStep')!;
    expect(spansOfTrace).toContainEqual(
      expect.objectContaining({
        kind: 'SPAN_KIND_CLIENT',
        parentSpanId: delivery.spanId,
        attributes: expect.objectContaining({ 'url.full': seller.url }),
      }),
    );
    expect(seller.received[0]!.traceparent).toMatch(new RegExp(`^00-${traceId}-`));
    expect(receiver.contentTypes).toEqual(new Set(['application/x-protobuf']));

    // The request's log line names its trace beside its request id; the worker's lines say what the
    // workflow and its activities did (the SDK's replay-safe loggers), with the invoice and the trace.
    type Line = { req?: { id?: string }; trace_id?: string; msg?: string; sdkComponent?: string };
    const parsed = () =>
      logs
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Line);
    const invoiceId = invoice.body.data.id;
    const lines = await waitFor(
      async () => parsed(),
      (all) => all.some((l) => l.msg === 'order completed'),
      10_000,
    );
    expect(lines.find((l) => l.req?.id === paid.requestId)).toEqual(expect.objectContaining({ trace_id: traceId }));
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'order completed',
        sdkComponent: 'workflow',
        workflowId: `order-${invoiceId}`,
        invoiceId,
        trace_id: traceId,
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'invoice marked paid', sdkComponent: 'activity', invoiceId, trace_id: traceId }),
    );
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'delivery step delivered', invoiceId, kind: 'dynamic' }));
  } finally {
    await seller.close();
    await receiver.close();
  }
}, 240_000);
