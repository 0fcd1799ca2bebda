/**
 * npm run bench: the order pipeline and the API on this machine, with a baseline, printed
 * and written to bench/results/<time>.json. Loopback only.
 *   BENCH_ORDERS (500), BENCH_CONCURRENCY (25), BENCH_SECONDS (10), BENCH_CONNECTIONS (20),
 *   BENCH_WEBHOOKS (1000: a backlog of events the relay hands to a loopback endpoint),
 *   BENCH_ENGINE (dev: the dev server; full: Temporal's full server on the DATABASE_URL Postgres),
 *   BENCH_IDLE_SECONDS (30: how long the idle engine's actions are counted),
 *   BENCH_OPEN_SECONDS (10: each open-loop phase: orders at 50% and 80% of the measured max,
 *   invoice creation at BENCH_CREATE_RATE, 200/s, against the bench's own API and, on Postgres, a
 *   separate `sellflow api` process; latency from the scheduled arrival),
 *   BENCH_CREATE_CONNECTIONS (4: closed-loop creates against that process, for its ceiling),
 *   BENCH_TUNING_ORDERS (min(BENCH_ORDERS, 100): closed-loop orders under each worker setting of WORKER_TUNINGS)
 *   BENCH_SOLO_ORDERS (20: orders placed one at a time, for the latency floor with no queue)
 *   BENCH_CPU_PROFILE (a path: the bench process's main thread, API and activities, profiled over
 *   the closed-loop orders and written there as a .cpuprofile for Chrome DevTools)
 * Database: DATABASE_URL (a fresh database is created on that server and dropped), else
 * embedded PGlite.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { issueApiKey } from '../src/accounts/api-keys';
import { rateLimitStoreFor } from '../src/api/middleware/rate-limit';
import { createStore } from '../src/accounts/stores';
import { type Config, loadConfig } from '../src/config';
import { type DatabaseHandle, openEmbedded } from '../src/db/connect';
import { openScratchPostgres } from '../src/db/scratch-database';
import { migrateToLatest } from '../src/db/migrate';
import { recordEvent } from '../src/events/record';
import { wakeIfOwed } from '../src/outbox/relay-wakeups';
import { outboxNewsSignal } from '../src/temporal/contracts/webhooks';
import { createLogger } from '../src/logger';
import { startApi } from '../src/server';
import { createObjectStorage } from '../src/storage/create-storage';
import { connectClient, connectWorker } from '../src/temporal/connection';
import { freePort, startDevServer } from '../src/temporal/dev-server';
import { resolveClusterTools, startCluster, TEMPORAL_SERVER_VERSION } from '../src/temporal/cluster';
import { spawnCli, waitForOutput } from '../test/helpers/cli';
import { waitFor } from '../test/helpers/catalog-fixtures';
import { actionsPer, actionsSoFar, idleActionsPerHour } from './engine-actions';
import { type CpuSources, cpuPerUnit, cpuSnapshot, profileMainThread } from './cpu-split';
import { openLoop } from './open-loop';
import { installTemporalRuntimeLogger } from '../src/temporal/runtime-logger';
import { executeWorkflow } from '../src/temporal/workflow-client';
import { mainTaskQueue } from '../src/temporal/task-queues';
import { workflowIds } from '../src/temporal/workflow-ids';
import { resolveTemporalCli } from '../src/tools/go-tools';
import { createWorker } from '../src/worker';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 500);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 25);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const WEBHOOKS = Number(process.env.BENCH_WEBHOOKS ?? 1000);
const ENGINE = process.env.BENCH_ENGINE === 'full' ? 'full' : 'dev';
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
const OPEN_SECONDS = Number(process.env.BENCH_OPEN_SECONDS ?? 10);
const CREATE_RATE = Number(process.env.BENCH_CREATE_RATE ?? 200);
const CREATE_CONNECTIONS = Number(process.env.BENCH_CREATE_CONNECTIONS ?? 4);
const TUNING_ORDERS = Number(process.env.BENCH_TUNING_ORDERS ?? Math.min(ORDERS, 100));
const SOLO_ORDERS = Number(process.env.BENCH_SOLO_ORDERS ?? 20);

/** Worker settings measured against the SDK's defaults (40 workflow tasks and 100 activities at once, 10 + 10 pollers, a sticky cache sized from the heap). */
const WORKER_TUNINGS: Record<string, Partial<Config['temporal']['tuning']>> = {
  sdk_defaults: {},
  two_pollers_each: { maxConcurrentWorkflowTaskPolls: 2, maxConcurrentActivityTaskPolls: 2 },
  twenty_pollers_each: { maxConcurrentWorkflowTaskPolls: 20, maxConcurrentActivityTaskPolls: 20 },
  ten_activities_at_once: { maxConcurrentActivityTaskExecutions: 10 },
  no_sticky_cache: { maxCachedWorkflows: 0 },
};

const step = (message: string) => process.stdout.write(`• ${message}\n`);

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN);
  return { p50: at(50), p95: at(95), p99: at(99), max: Math.round(sorted[sorted.length - 1] ?? NaN) };
}

/** Runs `count` jobs, `concurrency` at a time, with a one-line progress counter. */
async function pool(label: string, count: number, concurrency: number, job: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  let done = 0;
  const started = performance.now();
  const tick = () => process.stdout.write(`\r  ${label}: ${done}/${count}`);
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        await job(i);
        done += 1;
        if (done % 10 === 0 || done === count) tick();
      }
    }),
  );
  process.stdout.write('\n');
  return (performance.now() - started) / 1000;
}

/**
 * Records `WEBHOOKS` events at once (the outbox a burst of orders, or an outage, leaves
 * behind) and times the relay until the endpoint has acknowledged every one.
 */
async function drainWebhookBacklog(
  database: DatabaseHandle,
  storeId: number,
  createEndpoint: (body: unknown) => Promise<unknown>,
): Promise<{ deliveries: number; seconds: number; per_second: number }> {
  const backlog = new Set<string>();
  const received = new Set<string>();
  const receiver = http.createServer((req, res) => {
    // Only the backlog's own events count (the orders above left some of theirs too).
    const eventId = String(req.headers['x-sell-event-id']);
    if (backlog.has(eventId)) received.add(eventId);
    req.resume().on('end', () => res.writeHead(200).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const { port } = receiver.address() as AddressInfo;
  try {
    await database.db.updateTable('stores').set({ allow_http_webhooks: true }).where('id', '=', storeId).execute();
    await createEndpoint({ url: `http://127.0.0.1:${port}/hook`, events: ['order.completed'] });
    const started = performance.now();
    await database.db.transaction().execute(async (trx) => {
      for (let i = 0; i < WEBHOOKS; i += 1)
        backlog.add(await recordEvent(trx, { storeId, livemode: true, type: 'order.completed', data: { id: i } }));
    });
    while (received.size < WEBHOOKS) {
      process.stdout.write(`\r  delivered: ${received.size}/${WEBHOOKS}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    process.stdout.write(`\r  delivered: ${received.size}/${WEBHOOKS}\n`);
    const seconds = (performance.now() - started) / 1000;
    return { deliveries: WEBHOOKS, seconds: Number(seconds.toFixed(1)), per_second: Number((WEBHOOKS / seconds).toFixed(1)) };
  } finally {
    receiver.close();
  }
}

/** BENCH_ENGINE=dev (default): the CLI's dev server (SQLite); full: Temporal's server on the DATABASE_URL Postgres. */
interface Engine {
  address: string;
  name: string;
  pid: number;
  /** Postgres databases the engine itself writes (the full server's); none for the dev server's SQLite. */
  databases: string[];
  stop: () => Promise<void>;
}

async function startEngine(config: Config, dir: string): Promise<Engine> {
  if (ENGINE === 'full') {
    const adminUrl = process.env.DATABASE_URL;
    if (!adminUrl) throw new Error('BENCH_ENGINE=full runs Temporal on Postgres: set DATABASE_URL');
    step("starting Temporal's full server on Postgres");
    const prefix = `temporal_bench_${randomUUID().slice(0, 8)}`;
    const tools = await resolveClusterTools({ searchPath: config.temporal.searchPath, onProgress: step });
    const cluster = await startCluster(tools, {
      databaseUrl: adminUrl,
      databasePrefix: prefix,
      port: await freePort(),
      namespace: 'default',
      dir: path.join(dir, 'cluster'),
      onProgress: step,
    });
    return {
      address: cluster.address,
      name: `temporal-server ${TEMPORAL_SERVER_VERSION} on Postgres`,
      pid: cluster.pid,
      databases: [prefix, `${prefix}_visibility`],
      stop: async () => {
        await cluster.stop();
        const admin = new pg.Client({ connectionString: adminUrl });
        await admin.connect();
        for (const name of [prefix, `${prefix}_visibility`])
          await admin.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
        await admin.end();
      },
    };
  }
  step('starting the Temporal dev server');
  const cli = await resolveTemporalCli({
    configuredPath: config.temporal.cliPath,
    searchPath: config.temporal.searchPath,
    onProgress: step,
  });
  const dev = await startDevServer({
    binary: cli.path,
    port: await freePort(),
    uiPort: null,
    dbFile: path.join(dir, 't.sqlite'),
    namespace: 'default',
    logFile: path.join(dir, 't.log'),
  });
  return { address: dev.address, name: 'temporal dev server (CLI v1.5.1, SQLite)', pid: dev.pid, databases: [], stop: dev.stop };
}

/** A real `sellflow worker` beside the bench's own, resolved once it polls. */
async function startWorkerProcess(env: Record<string, string>): Promise<{ stop: () => Promise<void> }> {
  const child = spawnCli(['worker'], { ...env, WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForOutput(child, /worker is up/, 90_000);
  } catch (error) {
    // A worker that never came up must not outlive the bench (one left behind here grew to 16 GB).
    child.kill('SIGKILL');
    throw error;
  }
  return {
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A real `sellflow api` process on a free loopback port, resolved once it answers. */
async function startApiProcess(env: Record<string, string>): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawnCli(['api'], { ...env, PORT: String(port), HOST: '127.0.0.1' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForOutput(child, /api is up/, 90_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function benchDatabase(dir: string): Promise<DatabaseHandle & { url?: string }> {
  const url = process.env.DATABASE_URL;
  return url ? openScratchPostgres(url, 'sellflow_bench', 20) : openEmbedded(path.join(dir, 'pglite'), { own: true });
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sellflow-bench-'));
  const config = loadConfig({
    ...process.env,
    SELLFLOW_DATA_DIR: dir,
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    RATE_LIMIT_PER_MINUTE: '100000000',
    RATE_LIMIT_BURST: '100000000',
    // The webhook receiver listens on loopback.
    WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
  });
  const logger = createLogger('warn');
  installTemporalRuntimeLogger(logger);
  const dev = await startEngine(config, dir);
  const database = await benchDatabase(dir);
  await migrateToLatest(database.db);
  step(`database: ${database.description}`);

  const taskQueuePrefix = `bench-${randomUUID()}`;
  const taskQueue = mainTaskQueue(taskQueuePrefix);
  const workerConnection = await connectWorker(config, dev.address);
  let worker = await createWorker({ config, db: database.db, connection: workerConnection, logger, taskQueue });
  let running = worker.run();
  const temporal = await connectClient(config, dev.address);
  // Rate limits counted where production counts them (Postgres when the bench runs on it).
  const rateLimitStore = rateLimitStoreFor(database);
  const api = await startApi(
    { config, db: database.db, logger, temporal, taskQueue, storage: createObjectStorage(config), rateLimitStore },
    await freePort(),
    '127.0.0.1',
  );

  try {
    const created = await database.db.transaction().execute((trx) => createStore(trx, { slug: `bench-${Date.now()}` }));
    const key = (
      await issueApiKey(database.db, {
        accountId: created.store.account_id,
        storeId: created.store.id,
        mode: 'live',
        scopes: ['ops:write', 'products:write', 'products:read', 'invoices:write', 'invoices:read', 'webhooks:write'],
      })
    ).key;
    const call = async (method: string, route: string, body?: unknown) => {
      const res = await fetch(`${api.url}${route}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = (await res.json()) as { data?: { id: number }; id?: number };
      if (!res.ok) throw new Error(`${method} ${route} answered ${res.status}: ${JSON.stringify(json)}`);
      return json;
    };

    const product = await call('POST', '/api/v2/products', { title: 'Bench', description: 'd', visibility: 'PUBLIC' });
    // Enough for the one-worker run, the solo orders, the two-worker run, the tuning runs and the unpaid invoices.
    const serials = Array.from(
      { length: 2 * ORDERS + SOLO_ORDERS + Object.keys(WORKER_TUNINGS).length * TUNING_ORDERS + 10 },
      (_, i) => `BENCH-${i}`,
    ).join('\n');
    const variant = await call('POST', `/api/v2/products/${product.data!.id}/variants`, {
      title: 'Key',
      description: 'd',
      deliverable: { types: ['TEXT', 'MANUAL'], data: { serials, parsingMode: 'NEW_LINE', comment: 'Thanks!' } },
      pricing: { humble: false, price: { price: 1000, currency: 'USD' } },
      payment_methods: ['PAYPAL'],
    });

    step(`orders: ${ORDERS} × create → paid (mark-completed) → delivered (serial + static text), ${CONCURRENCY} at a time`);
    const paidToDelivered: number[] = [];
    const paidIds: number[] = [];
    const placePaidOrder = async (latencies = paidToDelivered) => {
      const invoice = await call('POST', '/api/v2/invoices', {
        customer_email: 'bench@example.com',
        payment_method: 'PAYPAL',
        product_variants: { [variant.data!.id]: { quantity: 1 } },
      });
      const t0 = performance.now();
      paidIds.push(invoice.data!.id);
      await call('PATCH', `/api/v2/invoices/${invoice.data!.id}/mark-completed`);
      const outcome = await temporal.client.workflow.getHandle(workflowIds.order(invoice.data!.id)).result();
      if (outcome.outcome !== 'completed') throw new Error(`order ${invoice.data!.id} ended ${outcome.outcome}`);
      latencies.push(performance.now() - t0);
    };
    const cpuSources: CpuSources = {
      temporalPid: dev.pid,
      postgresUrl: database.url,
      sellflowDatabase: database.url ? new URL(database.url).pathname.slice(1) : undefined,
      temporalDatabases: dev.databases,
    };
    const ordersCpuBefore = await cpuSnapshot(cpuSources);
    const profile = process.env.BENCH_CPU_PROFILE ? await profileMainThread(process.env.BENCH_CPU_PROFILE) : null;
    const orderSeconds = await pool('orders', ORDERS, CONCURRENCY, () => placePaidOrder());
    await profile?.stop();
    const ordersCpu = cpuPerUnit(ordersCpuBefore, await cpuSnapshot(cpuSources), ORDERS);

    // The floor under every open-loop figure: one order at a time, nothing queued ahead of it.
    step(`orders one at a time: ${SOLO_ORDERS}`);
    const soloLatency: number[] = [];
    await pool('orders, one at a time', SOLO_ORDERS, 1, () => placePaidOrder(soloLatency));

    step(`baseline: ${ORDERS} × workflow with one no-op activity, ${CONCURRENCY} at a time`);
    const baselineLatency: number[] = [];
    const baselineCpuBefore = await cpuSnapshot(cpuSources);
    const baselineSeconds = await pool('baseline', ORDERS, CONCURRENCY, async () => {
      const t0 = performance.now();
      await executeWorkflow(temporal.client, 'baseline', { taskQueue, workflowId: `baseline-${randomUUID()}` });
      baselineLatency.push(performance.now() - t0);
    });
    const baselineCpu = cpuPerUnit(baselineCpuBefore, await cpuSnapshot(cpuSources), ORDERS);

    // A second worker process on the same task queue (it needs the database over the network: Postgres).
    let twoWorkersPerSecond: number | null = null;
    if (database.url) {
      step(`orders with a second \`sellflow worker\` process: ${ORDERS} more`);
      const second = await startWorkerProcess({
        DATABASE_URL: database.url,
        TEMPORAL_ADDRESS: dev.address,
        TEMPORAL_TASK_QUEUE_PREFIX: taskQueuePrefix,
        SELLFLOW_DATA_DIR: path.join(dir, 'second-worker'),
      });
      try {
        twoWorkersPerSecond = Number((ORDERS / (await pool('orders, 2 workers', ORDERS, CONCURRENCY, () => placePaidOrder()))).toFixed(1));
      } finally {
        await second.stop();
      }
    }

    step('engine actions: per paid order, per unpaid invoice from creation to expiry, and idle');
    // An unpaid invoice has no workflow: what it costs is its share of the relay's rounds
    // (waking for it, voiding it at expiry). Ten invoices expiring 2 s after creation.
    const relayId = workflowIds.eventDispatcher(taskQueue);
    const relayBefore = await actionsSoFar(temporal.client, relayId);
    const unpaidIds: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      const created = await call('POST', '/api/v2/invoices', {
        customer_email: 'abandoned@example.com',
        payment_method: 'PAYPAL',
        product_variants: { [variant.data!.id]: { quantity: 1 } },
      });
      unpaidIds.push(created.data!.id);
    }
    // Shortening a window moves an expiry behind the relay's back (only a new invoice tells it of
    // one): tell it as a worker's watcher tells it of news, or it sleeps to its planned wake.
    await database.db
      .updateTable('invoices')
      .set({ expires_at: new Date(Date.now() + 2_000) })
      .where('id', 'in', unpaidIds)
      .execute();
    if (await wakeIfOwed(database.db, taskQueue)) await temporal.client.workflow.getHandle(relayId).signal(outboxNewsSignal);
    await waitFor(
      () => database.db.selectFrom('invoices').select('id').where('id', 'in', unpaidIds).where('status', '!=', 'VOIDED').execute(),
      (open) => open.length === 0,
      60_000,
    );
    await new Promise((r) => setTimeout(r, 1_000));
    const unpaidWorkflows = (
      await Promise.allSettled(unpaidIds.map((id) => temporal.client.workflow.getHandle(workflowIds.order(id)).describe()))
    ).filter((r) => r.status === 'fulfilled').length;
    const actions = {
      per_paid_order: await actionsPer(temporal.client, paidIds.slice(0, 20).map(workflowIds.order)),
      per_unpaid_invoice: {
        order_workflows: unpaidWorkflows,
        relay_share: Number((((await actionsSoFar(temporal.client, relayId)) - relayBefore) / unpaidIds.length).toFixed(1)),
      },
      idle: await idleActionsPerHour(temporal.client, taskQueue, IDLE_SECONDS),
    };

    // Open loop on a variant with unlimited stock (static text), so no arrival fails for want of a serial.
    const unlimited = await call('POST', `/api/v2/products/${product.data!.id}/variants`, {
      title: 'Text',
      description: 'd',
      deliverable: { types: ['MANUAL'], data: { comment: 'Thanks!' } },
      pricing: { humble: false, price: { price: 1000, currency: 'USD' } },
      payment_methods: ['PAYPAL'],
    });
    let invoiceCreateCeiling: Record<string, unknown> | null = null;
    const createBody = {
      customer_email: 'open-loop@example.com',
      payment_method: 'PAYPAL',
      product_variants: { [unlimited.data!.id]: { quantity: 1 } },
    };
    const newInvoice = () => call('POST', '/api/v2/invoices', createBody);
    const maxOrdersPerSecond = ORDERS / orderSeconds;
    const openLoops: Record<string, unknown> = {};
    for (const share of [0.5, 0.8]) {
      const rate = Number((maxOrdersPerSecond * share).toFixed(2));
      step(`open loop: orders arriving at ${rate}/s (${share * 100}% of the max) for ${OPEN_SECONDS} s`);
      const run = await openLoop(`orders at ${share * 100}%`, rate, OPEN_SECONDS, async () => {
        const invoice = await newInvoice();
        await call('PATCH', `/api/v2/invoices/${invoice.data!.id}/mark-completed`);
        const outcome = await temporal.client.workflow.getHandle(workflowIds.order(invoice.data!.id)).result();
        if (outcome.outcome !== 'completed') throw new Error(`order ${invoice.data!.id} ended ${outcome.outcome}`);
      });
      openLoops[`orders_at_${share * 100}_percent`] = { ...run, latencies: undefined, arrival_to_delivered_ms: stats(run.latencies) };
    }
    step(`open loop: invoice creation at ${CREATE_RATE}/s for ${OPEN_SECONDS} s (the API in the bench's process, beside the worker)`);
    const creates = await openLoop('invoice creates', CREATE_RATE, OPEN_SECONDS, async () => {
      await newInvoice();
    });
    openLoops.invoice_create = { ...creates, latencies: undefined, arrival_to_answer_ms: stats(creates.latencies) };
    // As a deployment that scales out runs it: `sellflow api` in its own process, so the API
    // has an event loop (and a core) of its own instead of sharing the worker's.
    if (database.url) {
      const apiProcess = await startApiProcess({
        DATABASE_URL: database.url,
        TEMPORAL_ADDRESS: dev.address,
        TEMPORAL_TASK_QUEUE_PREFIX: taskQueuePrefix,
        SELLFLOW_DATA_DIR: path.join(dir, 'api-process'),
        RATE_LIMIT_PER_MINUTE: '100000000',
        RATE_LIMIT_BURST: '100000000',
        LOG_LEVEL: 'warn',
      });
      try {
        step(`open loop: invoice creation at ${CREATE_RATE}/s for ${OPEN_SECONDS} s against a separate \`sellflow api\` process`);
        const create = async () => {
          const res = await fetch(`${apiProcess.url}/api/v2/invoices`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: JSON.stringify(createBody),
          });
          await res.arrayBuffer();
          if (res.status !== 201) throw new Error(`POST /api/v2/invoices answered ${res.status}`);
        };
        // Warm, as the bench's own API is by now: compiled code paths and an open connection pool.
        await pool('warm-up', 50, 5, create);
        const separate = await openLoop('invoice creates, own API process', CREATE_RATE, OPEN_SECONDS, create);
        openLoops.invoice_create_own_api_process = { ...separate, latencies: undefined, arrival_to_answer_ms: stats(separate.latencies) };
        // The ceiling behind those figures: as many creates as the API process answers, a few at a time.
        step(`closed loop: invoice creation against the \`sellflow api\` process, ${CREATE_CONNECTIONS} connections, ${SECONDS} s`);
        const ceiling = await autocannon({
          url: `${apiProcess.url}/api/v2/invoices`,
          method: 'POST',
          connections: CREATE_CONNECTIONS,
          duration: SECONDS,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify(createBody),
        });
        invoiceCreateCeiling = {
          connections: CREATE_CONNECTIONS,
          requests_per_second: Math.round(ceiling.requests.average),
          latency_ms: { p50: ceiling.latency.p50, p99: ceiling.latency.p99 },
          non_2xx_or_errors: ceiling.non2xx + ceiling.errors,
        };
      } finally {
        await apiProcess.stop();
      }
    }

    step(`HTTP: GET /api/v2/invoices (auth, rate limit, paginated query), ${CONNECTIONS} connections, ${SECONDS} s`);
    const http = await autocannon({
      url: `${api.url}/api/v2/invoices`,
      connections: CONNECTIONS,
      duration: SECONDS,
      headers: { authorization: `Bearer ${key}` },
    });

    step(`relay: a backlog of ${WEBHOOKS} events drained to one webhook endpoint on loopback`);
    const relay = await drainWebhookBacklog(database, created.store.id, (body) => call('POST', '/api/v2/webhooks', body));

    step(`worker tuning: ${TUNING_ORDERS} orders, ${CONCURRENCY} at a time, under each of ${Object.keys(WORKER_TUNINGS).join(', ')}`);
    const tuning: Record<string, unknown> = {};
    for (const [name, settings] of Object.entries(WORKER_TUNINGS)) {
      worker.shutdown();
      await running;
      const tuned = { ...config, temporal: { ...config.temporal, tuning: { ...config.temporal.tuning, ...settings } } };
      worker = await createWorker({ config: tuned, db: database.db, connection: workerConnection, logger, taskQueue });
      running = worker.run();
      const latencies: number[] = [];
      const seconds = await pool(name, TUNING_ORDERS, CONCURRENCY, () => placePaidOrder(latencies));
      tuning[name] = { settings, orders_per_second: Number((TUNING_ORDERS / seconds).toFixed(1)), paid_to_delivered_ms: stats(latencies) };
    }

    const orders = {
      count: ORDERS,
      concurrency: CONCURRENCY,
      orders_per_second: Number((ORDERS / orderSeconds).toFixed(1)),
      paid_to_delivered_ms: stats(paidToDelivered),
      one_at_a_time: { count: SOLO_ORDERS, paid_to_delivered_ms: stats(soloLatency) },
    };
    const baseline = {
      count: ORDERS,
      concurrency: CONCURRENCY,
      workflows_per_second: Number((ORDERS / baselineSeconds).toFixed(1)),
      start_to_result_ms: stats(baselineLatency),
    };
    const figures = {
      at: new Date().toISOString(),
      machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
      engine: dev.name,
      database: database.kind,
      orders,
      baseline,
      workers: {
        one_process_orders_per_second: Number((ORDERS / orderSeconds).toFixed(1)),
        two_processes_orders_per_second: twoWorkersPerSecond,
        tuning,
      },
      ratio: {
        throughput_orders_vs_baseline: Number((orders.orders_per_second / baseline.workflows_per_second).toFixed(2)),
        p50_latency_orders_vs_baseline: Number((orders.paid_to_delivered_ms.p50 / baseline.start_to_result_ms.p50).toFixed(2)),
        // With every core busy, throughput goes as 1 / CPU per unit: the ratio the CPU split allows.
        cpu_bound_orders_vs_baseline: Number((baselineCpu.total / ordersCpu.total).toFixed(2)),
      },
      // CPU ms per closed-loop order (create, mark paid, deliver, read the result) and per bare workflow, by part.
      cpu_ms: { per_order: ordersCpu, per_baseline_workflow: baselineCpu },
      open_loop: openLoops,
      invoice_create_closed_loop_own_api_process: invoiceCreateCeiling,
      relay,
      actions,
      http: {
        requests_per_second: Math.round(http.requests.average),
        latency_ms: { p50: http.latency.p50, p99: http.latency.p99 },
        non_2xx_or_errors: http.non2xx + http.errors,
      },
    };
    const out = path.join(__dirname, 'results', `${figures.at.replace(/[:.]/g, '-')}-${ENGINE}.json`);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify(figures, null, 2) + '\n');
    process.stdout.write(`\n${JSON.stringify(figures, null, 2)}\nwritten to ${path.relative(process.cwd(), out)}\n`);
  } finally {
    await api.close();
    worker.shutdown();
    await running;
    await workerConnection.close();
    await temporal.close();
    await rateLimitStore.close();
    await database.close();
    await dev.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
