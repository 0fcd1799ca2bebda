import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { freePort } from '../../src/temporal/dev-server';
import { waitFor } from '../helpers/catalog-fixtures';
import { spawnCli, waitForOutput } from '../helpers/cli';
import { type Harness, startHarness, testTemporalAddress } from '../helpers/harness';
import { type TcpForwarder, tcpForwarder } from '../helpers/tcp-forwarder';

/**
 * Patient processes (issue 17): `sellflow worker` and `sellflow api` started while Postgres
 * and Temporal are unreachable wait for them (with a clear log line) instead of exiting, and
 * come up when they return; while the database is down the API answers 503 with Retry-After
 * and /health names it.
 */
let h: Harness;
let database: TcpForwarder;
let temporal: TcpForwarder;
let env: Record<string, string>;

beforeAll(async () => {
  h = await startHarness({ database: 'postgres' });
  const url = new URL(h.database.env.DATABASE_URL!);
  database = await tcpForwarder(await freePort(), { host: url.hostname, port: Number(url.port || 5432) });
  const [temporalHost, temporalPort] = testTemporalAddress().split(':');
  temporal = await tcpForwarder(await freePort(), { host: temporalHost!, port: Number(temporalPort) });
  url.host = `127.0.0.1:${database.port}`;
  env = {
    DATABASE_URL: url.toString(),
    TEMPORAL_ADDRESS: `127.0.0.1:${temporal.port}`,
    TEMPORAL_TASK_QUEUE_PREFIX: `patient-${randomUUID()}`,
    SELLFLOW_DATA_DIR: h.config.dataDir,
  };
});
afterAll(async () => {
  await database?.shut();
  await temporal?.shut();
  await h?.close();
});

it('a worker started before Postgres and Temporal waits for both, then polls', async () => {
  const worker = spawnCli(['worker'], env);
  let exited = false;
  worker.once('exit', () => (exited = true));
  try {
    await waitForOutput(worker, /waiting for the database/, 20_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(exited).toBe(false);
    await database.open();
    await waitForOutput(worker, /waiting for Temporal/, 30_000);
    expect(exited).toBe(false);
    await temporal.open();
    await waitForOutput(worker, /worker is up/, 60_000);
  } finally {
    worker.kill('SIGKILL');
    await temporal.shut();
    await database.shut();
  }
}, 120_000);

it('an API waits for Postgres, then answers 503 with Retry-After while it is down, and recovers', async () => {
  const port = await freePort();
  const api = spawnCli(['api'], { ...env, PORT: String(port) });
  const base = `http://127.0.0.1:${port}`;
  try {
    await temporal.open();
    await waitForOutput(api, /waiting for the database/, 20_000);
    await database.open();
    await waitForOutput(api, /api is up/, 60_000);
    const store = await h.createStore();
    const keys = () => request(base).get('/api/v2/api-keys').set('Authorization', `Bearer ${store.live}`);
    expect((await keys()).status).toBe(200);

    await database.shut();
    const refused = await keys();
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.body.error).toMatchObject({ type: 'service_unavailable', code: 'service_unavailable' });
    const health = await request(base).get('/health');
    expect(health.status).toBe(503);
    // No worker polls this test's queue either; the database is what this test took away.
    expect(health.body.down).toContain('database');

    await database.open();
    await waitFor(
      () => keys().then((r) => r.status),
      (status) => status === 200,
      30_000,
    );
  } finally {
    api.kill('SIGKILL');
  }
}, 120_000);
