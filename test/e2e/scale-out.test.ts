import { randomUUID } from 'node:crypto';
import { createStore } from '../../src/accounts/stores';
import { freePort } from '../../src/temporal/dev-server';
import { spawnCli, waitForOutput } from '../helpers/cli';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { testTemporalAddress } from '../helpers/harness';

/**
 * `sellflow api` and `sellflow worker` as separate processes against an external Temporal
 * and the test database (Postgres in CI): a ping through the API is run by the worker.
 */
describe('separate api and worker processes', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    // Several processes on one database: Postgres (DATABASE_URL, else the machine's local server).
    database = await createTestDatabase({ kind: 'postgres' });
  });
  afterAll(() => database.close());

  it('serves a ping end to end across processes', async () => {
    const created = await database.db.transaction().execute((trx) => createStore(trx, { slug: 'scale' }));
    const port = await freePort();
    const env = {
      ...database.env,
      TEMPORAL_ADDRESS: testTemporalAddress(),
      TEMPORAL_TASK_QUEUE_PREFIX: `scale-${randomUUID()}`,
      PORT: String(port),
    };
    const worker = spawnCli(['worker'], env);
    const api = spawnCli(['api'], env);
    try {
      await Promise.all([waitForOutput(worker, /worker is up/, 60_000), waitForOutput(api, /api is up/, 60_000)]);
      const res = await fetch(`http://127.0.0.1:${port}/api/v2/ops/ping`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${created.keys.live.key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ message: 'across processes' }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data: { workflowId: string } };
      expect(body.data).toMatchObject({ pong: true, message: 'across processes' });
      const row = await database.db
        .selectFrom('ping_runs')
        .select('message')
        .where('workflow_id', '=', body.data.workflowId)
        .executeTakeFirst();
      expect(row).toEqual({ message: 'across processes' });
    } finally {
      api.kill('SIGTERM');
      worker.kill('SIGTERM');
      await Promise.all(
        [api, worker].map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))),
      );
    }
    expect(api.exitCode).toBe(0);
    expect(worker.exitCode).toBe(0);
  });
});
