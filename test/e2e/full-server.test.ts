import { type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { createStore } from '../../src/accounts/stores';
import { freePort } from '../../src/temporal/dev-server';
import { resolveClusterTools, type RunningCluster, startCluster } from '../../src/temporal/cluster';
import { waitFor } from '../helpers/catalog-fixtures';
import { spawnCli, waitForOutput } from '../helpers/cli';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

/**
 * Temporal's full server on PostgreSQL (issue 22), not the dev server: its schema set up by
 * Temporal's own tool, two `sellflow worker` and two `sellflow api` processes sharing it.
 * Every order completes once, both workers take work, the event relay runs once, and the
 * two APIs share one rate limit.
 */
const ORDERS = 12;
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const prefix = `temporal_t_${randomUUID().slice(0, 8)}`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sellflow-cluster-'));
let cluster: RunningCluster;
let database: TestDatabase;
const children: ChildProcess[] = [];

beforeAll(async () => {
  const tools = await resolveClusterTools({ searchPath: `${process.env.PATH ?? ''}:/usr/local/go/bin` });
  cluster = await startCluster(tools, { databaseUrl: adminUrl, databasePrefix: prefix, port: await freePort(), namespace: 'default', dir });
  database = await createTestDatabase({ kind: 'postgres' });
}, 240_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await database?.close();
  await cluster?.stop();
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  for (const name of [prefix, `${prefix}_visibility`])
    await admin.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
  await admin.end();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('runs orders once across two workers and two APIs on the full server', async () => {
  const created = await database.db.transaction().execute((trx) => createStore(trx, { slug: 'full-server' }));
  const key = created.keys.live.key;
  const taskQueuePrefix = `full-${randomUUID()}`;
  const env = { ...database.env, TEMPORAL_ADDRESS: cluster.address, TEMPORAL_TASK_QUEUE_PREFIX: taskQueuePrefix };
  const ports = [await freePort(), await freePort()];
  const start = (role: 'api' | 'worker', extra: Record<string, string> = {}) => {
    const child = spawnCli([role], { ...env, ...extra });
    children.push(child);
    return waitForOutput(child, role === 'api' ? /api is up/ : /worker is up/, 90_000);
  };
  await Promise.all([start('worker'), start('worker'), ...ports.map((port) => start('api', { PORT: String(port) }))]);
  const call = async (i: number, method: string, route: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${ports[i % 2]}/api/v2${route}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': `${method}-${route}-${i}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { data: { id: number; status?: unknown } } };
  };

  const product = await call(0, 'POST', '/products', { title: 'Full', description: 'd', visibility: 'PUBLIC' });
  const serials = Array.from({ length: ORDERS }, (_, i) => `FULL-${i}`);
  const variant = await call(1, 'POST', `/products/${product.body.data.id}/variants`, {
    title: 'Key',
    description: 'd',
    pricing: { humble: false, price: { price: 500, currency: 'USD' } },
    payment_methods: ['PAYPAL'],
    deliverable: { types: ['TEXT'], data: { serials: serials.join(',') } },
  });
  expect(variant.status).toBe(201);
  const invoices = await Promise.all(
    Array.from({ length: ORDERS }, async (_, i) => {
      const invoice = await call(i, 'POST', '/invoices', {
        customer_email: `c${i}@e.co`,
        payment_method: 'PAYPAL',
        product_variants: { [variant.body.data.id]: { quantity: 1 } },
      });
      expect(invoice.status).toBe(201);
      // Paid through the other API process.
      expect((await call(i + 1, 'PATCH', `/invoices/${invoice.body.data.id}/mark-completed`)).status).toBe(200);
      return invoice.body.data.id;
    }),
  );

  const unfinished = await waitFor(
    () => database.db.selectFrom('invoices').select('id').where('id', 'in', invoices).where('status', '!=', 'COMPLETED').execute(),
    (rows) => rows.length === 0,
    120_000,
  );
  expect(unfinished).toEqual([]);
  const sold = await database.db
    .selectFrom('variant_serials')
    .select(['value', 'status'])
    .where('variant_id', '=', variant.body.data.id)
    .execute();
  expect(
    sold
      .filter((s) => s.status === 'SOLD')
      .map((s) => s.value)
      .sort(),
  ).toEqual([...serials].sort());
  expect(await database.db.selectFrom('invoices').select('id').where('store_id', '=', created.store.id).execute()).toHaveLength(ORDERS);

  // Both workers took the orders' tasks (the server's own record of who started each), and
  // the outbox relay runs once per task queue however many workers ensure it.
  const connection = await Connection.connect({ address: cluster.address });
  try {
    const client = new Client({ connection });
    const identities = new Set<string>();
    for (const id of invoices) {
      const history = await client.workflow.getHandle(`order-${id}`).fetchHistory();
      for (const event of history.events ?? []) {
        const identity = event.workflowTaskStartedEventAttributes?.identity ?? event.activityTaskStartedEventAttributes?.identity;
        if (identity) identities.add(identity);
      }
    }
    expect(identities.size).toBe(2);
    const relays: string[] = [];
    for await (const execution of client.workflow.list({ query: `WorkflowType = 'eventDispatcher' AND ExecutionStatus = 'Running'` }))
      if (execution.taskQueue === `${taskQueuePrefix}-main`) relays.push(execution.workflowId);
    expect(relays).toHaveLength(1);
  } finally {
    await connection.close();
  }

  // One rate limit across both API processes (counted in Postgres).
  await database.db
    .updateTable('api_keys')
    .set({ rate_limit_per_minute: 1, rate_limit_burst: 4 })
    .where('store_id', '=', created.store.id)
    .execute();
  const statuses: number[] = [];
  for (let i = 0; i < 8; i += 1) {
    const res = await fetch(`http://127.0.0.1:${ports[i % 2]}/api/v2/invoices`, { headers: { authorization: `Bearer ${key}` } });
    statuses.push(res.status);
  }
  expect(statuses.filter((s) => s === 200)).toHaveLength(4);
  expect(statuses.filter((s) => s === 429)).toHaveLength(4);
}, 300_000);
