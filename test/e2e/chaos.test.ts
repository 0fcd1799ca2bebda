import { type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import request from 'supertest';
import { freePort, startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { runCli, spawnCli, waitForOutput } from '../helpers/cli';
import { ownPostgres, type OwnPostgres } from '../helpers/postgres-cluster';

/**
 * Chaos, CI-sized (issue 17): one API and one worker on a Postgres cluster and a Temporal
 * server of the test's own. Orders are created and paid while the worker, the API, Temporal
 * and Postgres are each SIGKILLed and started again. Clients retry with the same
 * Idempotency-Key, as the SDKs do. The audit reads the database: every paid order completed
 * exactly once, every serial to exactly one order, no order stranded.
 * CHAOS_ORDERS raises the count for a longer run, CHAOS_CLIENTS places orders from that
 * many clients at once; the round of kills repeats until every order is placed.
 */
const ORDERS = Number(process.env.CHAOS_ORDERS ?? 16);
const CLIENTS = Number(process.env.CHAOS_CLIENTS ?? 1);
const ROUND = ['worker', 'api', 'temporal', 'postgres', 'worker'];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sellflow-chaos-'));
let database: OwnPostgres;
let temporal: DevServer;
let temporalPort: number;
let apiPort: number;
let env: Record<string, string>;
const children = new Set<ChildProcess>();

async function startTemporal(): Promise<void> {
  temporal = await startDevServer({
    binary: process.env.SELLFLOW_TEST_TEMPORAL_CLI!,
    port: temporalPort,
    uiPort: null,
    dbFile: path.join(dir, 'temporal.sqlite'),
    namespace: 'default',
    logFile: path.join(dir, 'temporal.log'),
  });
}

async function start(role: 'api' | 'worker'): Promise<ChildProcess> {
  const child = spawnCli([role], { ...env, ...(role === 'api' ? { PORT: String(apiPort) } : {}) });
  children.add(child);
  child.once('exit', () => children.delete(child));
  await waitForOutput(child, role === 'api' ? /api is up/ : /worker is up/, 90_000);
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

beforeAll(async () => {
  database = await ownPostgres(await freePort());
  temporalPort = await freePort();
  await startTemporal();
  apiPort = await freePort();
  env = {
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    TEMPORAL_TASK_QUEUE_PREFIX: `chaos-${randomUUID()}`,
    SELLFLOW_DATA_DIR: dir,
    SELLFLOW_ENCRYPTION_KEY: 'c'.repeat(64),
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_BURST: '1000000',
  };
}, 120_000);

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await temporal?.stop();
  await database?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** What a careful client does: the same Idempotency-Key until an answer that is not an outage. */
async function untilAnswered(
  key: string,
  method: 'post' | 'patch',
  url: string,
  idempotencyKey: string,
  body?: object,
): Promise<request.Response> {
  const deadline = Date.now() + 120_000;
  let last: string;
  for (;;) {
    try {
      const api = request(`http://127.0.0.1:${apiPort}`);
      const res = await api[method](url)
        .set('Authorization', `Bearer ${key}`)
        .set('Idempotency-Key', idempotencyKey)
        .timeout(15_000)
        .send(body);
      if (res.status < 500 && res.status !== 409) return res;
      last = `${res.status} ${JSON.stringify(res.body)}`;
    } catch (error) {
      // The API is down or the connection was cut: retry.
      last = String(error);
    }
    if (Date.now() > deadline) throw new Error(`No answer for ${method} ${url}; last: ${last}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

it(
  `completes ${ORDERS} paid orders exactly once while the worker, the API, Temporal and Postgres are SIGKILLed`,
  async () => {
    let api = await start('api');
    let worker = await start('worker');
    const created = await runCli(['stores', 'create', '--slug', 'chaos', '--json'], env);
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout).keys.live as string;
    const serials = Array.from({ length: ORDERS }, (_, i) => `CHAOS-${i}`);
    const product = await untilAnswered(key, 'post', '/api/v2/products', 'product-1', {
      title: 'Chaos',
      description: 'd',
      visibility: 'PUBLIC',
    });
    const variant = await untilAnswered(key, 'post', `/api/v2/products/${product.body.data.id}/variants`, 'variant-1', {
      title: 'Default',
      description: 'd',
      pricing: { humble: false, price: { price: 500, currency: 'USD' } },
      payment_methods: ['PAYPAL'],
      deliverable: { types: ['TEXT'], data: { serials: serials.join(',') } },
    });
    const variantId = variant.body.data.id as number;

    const kills: string[] = [];
    let placing = true;
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const round = async () => {
      await pause(800);
      await kill(worker);
      kills.push('worker');
      await pause(1000);
      worker = await start('worker');
      await kill(api);
      kills.push('api');
      await pause(500);
      api = await start('api');
      process.kill(temporal.pid, 'SIGKILL');
      kills.push('temporal');
      await pause(1500);
      await startTemporal();
      await database.kill();
      kills.push('postgres');
      await pause(1500);
      await database.start();
      await kill(worker);
      kills.push('worker');
      worker = await start('worker');
    };
    const chaos = (async () => {
      do await round();
      while (placing);
    })();

    const started = Date.now();
    const invoiceIds: number[] = [];
    let next = 0;
    const client = async () => {
      for (let i = next++; i < ORDERS; i = next++) {
        const invoice = await untilAnswered(key, 'post', '/api/v2/invoices', `invoice-${i}`, {
          customer_email: `c${i}@e.co`,
          payment_method: 'PAYPAL',
          product_variants: { [variantId]: { quantity: 1 } },
        });
        expect(invoice.status).toBe(201);
        invoiceIds.push(invoice.body.data.id);
        const paid = await untilAnswered(key, 'patch', `/api/v2/invoices/${invoice.body.data.id}/mark-completed`, `paid-${i}`);
        expect(paid.status).toBe(200);
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, client));
    placing = false;
    await chaos;
    const acknowledged = Date.now();

    const audit = new pg.Client({ connectionString: database.url });
    await audit.connect();
    try {
      let stranded: number[] = invoiceIds;
      while (stranded.length > 0 && Date.now() - acknowledged < 120_000) {
        const rows = await audit.query<{ id: number }>(`select id from invoices where id = any($1) and status <> 'COMPLETED'`, [
          invoiceIds,
        ]);
        stranded = rows.rows.map((r) => r.id);
        if (stranded.length > 0) await new Promise((r) => setTimeout(r, 500));
      }
      const recoveredMs = Date.now() - acknowledged;
      const invoices = await audit.query<{ n: number }>(
        `select count(*)::int as n from invoices where store_id = (select id from stores where slug = 'chaos')`,
      );
      const sold = await audit.query<{ value: string; n: number }>(
        `select value, count(*)::int as n from variant_serials where variant_id = $1 and status = 'SOLD' group by value`,
        [variantId],
      );
      const delivered = await audit.query<{ invoice_id: number; serials: string }>(
        `select invoice_id, result->>'serials' as serials from delivery_steps where invoice_id = any($1) and status = 'delivered'`,
        [invoiceIds],
      );
      const paidEvents = await audit.query<{ id: string; n: number }>(
        `select data->>'id' as id, count(*)::int as n from events where type = 'order.paid' group by 1`,
      );
      const figures = {
        orders: ORDERS,
        kills,
        lost: ORDERS - invoiceIds.length,
        doubled: invoices.rows[0]!.n - ORDERS,
        stranded: stranded.length,
        clients: CLIENTS,
        recovered_ms: recoveredMs,
        run_ms: acknowledged - started,
      };
      process.stdout.write(`chaos: ${JSON.stringify(figures)}\n`);

      expect(stranded).toEqual([]);
      expect(invoices.rows[0]!.n).toBe(ORDERS); // a retried create never made a second invoice
      expect(sold.rows).toHaveLength(ORDERS);
      expect(sold.rows.every((r) => r.n === 1)).toBe(true);
      expect(delivered.rows).toHaveLength(ORDERS);
      expect(new Set(delivered.rows.map((r) => r.serials)).size).toBe(ORDERS);
      expect(paidEvents.rows.filter((r) => invoiceIds.includes(Number(r.id))).every((r) => r.n === 1)).toBe(true);
      expect(kills.length).toBeGreaterThanOrEqual(ROUND.length);
      expect(kills).toEqual(Array.from({ length: kills.length / ROUND.length }, () => ROUND).flat());
    } finally {
      await audit.end();
    }
  },
  420_000 + ORDERS * 2_000,
);
