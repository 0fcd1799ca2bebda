/**
 * npm run bench: measures the API and the workflow path on this machine and prints the
 * figures. Loopback only. Uses DATABASE_URL when set, embedded PGlite otherwise.
 *   BENCH_SECONDS (default 10), BENCH_CONNECTIONS (20), BENCH_PINGS (200)
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { issueApiKey } from '../src/accounts/api-keys';
import { createStore } from '../src/accounts/stores';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db/connect';
import { migrateToLatest } from '../src/db/migrate';
import { createLogger } from '../src/logger';
import { startApi } from '../src/server';
import { createObjectStorage } from '../src/storage/create-storage';
import { resolveTemporalCli } from '../src/tools/go-tools';
import { connectClient, connectWorker } from '../src/temporal/connection';
import { freePort, startDevServer } from '../src/temporal/dev-server';
import { installTemporalRuntimeLogger } from '../src/temporal/runtime-logger';
import { createWorker } from '../src/worker';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20);
const pings = Number(process.env.BENCH_PINGS ?? 200);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function step(message: string): void {
  process.stdout.write(`• ${message}\n`);
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sellflow-bench-'));
  const config = loadConfig({ ...process.env, SELLFLOW_DATA_DIR: dir, LOG_LEVEL: 'warn', LOG_FORMAT: 'json' });
  const logger = createLogger('warn');
  installTemporalRuntimeLogger(logger);
  step('starting Temporal dev server');
  const cli = await resolveTemporalCli({ configuredPath: config.temporal.cliPath, searchPath: config.temporal.searchPath, onProgress: step });
  const dev = await startDevServer({ binary: cli.path, port: await freePort(), uiPort: null, dbFile: path.join(dir, 't.sqlite'), namespace: 'default', logFile: path.join(dir, 't.log') });
  const database = await openDatabase(config, { own: true });
  await migrateToLatest(database.db);
  step(`database: ${database.description}`);

  const taskQueue = `bench-${randomUUID()}`;
  const workerConnection = await connectWorker(config, dev.address);
  const worker = await createWorker({ config, db: database.db, connection: workerConnection, logger, taskQueue });
  const running = worker.run();
  const temporal = await connectClient(config, dev.address);
  const api = await startApi({ config, db: database.db, logger, temporal, taskQueue, storage: createObjectStorage(config) }, await freePort(), '127.0.0.1');

  try {
    const created = await database.db.transaction().execute((trx) => createStore(trx, { slug: `bench-${Date.now()}` }));
    // The benchmark key is granted a limit far above what it can reach.
    const key = await issueApiKey(database.db, {
      accountId: created.store.account_id,
      storeId: created.store.id,
      mode: 'live',
      scopes: ['ops:write'],
      rateLimitPerMinute: 10_000_000,
      rateLimitBurst: 10_000_000,
    });

    step(`HTTP: GET /api/v2/api-keys (auth + rate limit + paginated query), ${connections} connections, ${seconds} s`);
    const http = await autocannon({
      url: `${api.url}/api/v2/api-keys`,
      connections,
      duration: seconds,
      headers: { authorization: `Bearer ${key.key}` },
    });
    const non2xx = http.non2xx + http.errors;

    step(`workflows: ${pings} ping workflows (API → Temporal → worker → database), 20 at a time`);
    const latencies: number[] = [];
    const started = Date.now();
    let next = 0;
    let done = 0;
    const runOne = async (): Promise<void> => {
      while (next < pings) {
        next += 1;
        const t0 = performance.now();
        const res = await fetch(`${api.url}/api/v2/ops/ping`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
          body: '{"message":"bench"}',
        });
        if (res.status !== 200) throw new Error(`ping answered ${res.status}: ${await res.text()}`);
        latencies.push(performance.now() - t0);
        done += 1;
        if (done % 50 === 0) process.stdout.write(`  ${done}/${pings}\n`);
      }
    };
    await Promise.all(Array.from({ length: 20 }, runOne));
    const elapsed = (Date.now() - started) / 1000;
    latencies.sort((a, b) => a - b);

    const figures = {
      machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
      database: database.kind,
      http_requests_per_second: Math.round(http.requests.average),
      http_latency_ms: { p50: http.latency.p50, p99: http.latency.p99, max: http.latency.max },
      http_non_2xx_or_errors: non2xx,
      ping_workflows_per_second: Number((pings / elapsed).toFixed(1)),
      ping_latency_ms: { p50: Math.round(percentile(latencies, 50)), p99: Math.round(percentile(latencies, 99)) },
    };
    process.stdout.write(`\n${JSON.stringify(figures, null, 2)}\n`);
  } finally {
    await api.close();
    worker.shutdown();
    await running;
    await workerConnection.close();
    await temporal.close();
    await database.close();
    await dev.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
