import request from 'supertest';
import { createApp } from '../../src/api/app';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { connectClient } from '../../src/temporal/connection';
import { freePort } from '../../src/temporal/dev-server';
import { waitFor } from '../helpers/catalog-fixtures';
import { createTestDatabase } from '../helpers/database';
import { type Harness, startHarness } from '../helpers/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ worker: true });
});
afterAll(() => h.close());

describe('GET /health', () => {
  it('is 200 with the database, Temporal and a worker polling the task queue', async () => {
    // The worker's first polls reach the server a moment after it starts.
    const res = await waitFor(
      () => request(h.app).get('/health'),
      (r) => r.status === 200,
      20_000,
    );
    expect(res.body).toMatchObject({ status: 'ok', down: [], database: { status: 'up' }, temporal: { status: 'up' } });
    expect(res.body.workers.status).toBe('up');
    expect(res.body.workers.task_queues).toEqual([
      { task_queue: h.taskQueue, workflow_pollers: expect.any(Number), activity_pollers: expect.any(Number) },
    ]);
    expect(res.body.workers.task_queues[0].workflow_pollers).toBeGreaterThan(0);
  });

  it('is 503 naming workers when no worker polls the task queue', async () => {
    const app = createApp({ ...deps(), taskQueue: 'nobody-polls-this' });
    const res = await request(app).get('/health');
    expect(res.status).toBe(503);
    expect(res.body.down).toEqual(['workers']);
    expect(res.body.workers).toMatchObject({
      status: 'down',
      task_queues: [{ task_queue: 'nobody-polls-this', workflow_pollers: 0, activity_pollers: 0 }],
    });
    expect(res.body.workers.error).toContain('nobody-polls-this');
  });

  it('is 503 naming temporal when Temporal does not answer', async () => {
    const config = loadConfig({ LOG_LEVEL: 'silent' });
    const deadAddress = `127.0.0.1:${await freePort()}`;
    // The client connects lazily, so an API process starts even when Temporal is down.
    const temporal = await connectClient(config, deadAddress);
    const app = createApp({ ...deps(), config, temporal });
    const res = await request(app).get('/health');
    expect(res.status).toBe(503);
    expect(res.body.down).toEqual(['temporal']);
    expect(res.body.database.status).toBe('up');
    await temporal.close();
  });

  it('is 503 naming database when the database is gone', async () => {
    const database = await createTestDatabase();
    const app = createApp({ ...deps(), db: database.db });
    await database.close();
    const res = await request(app).get('/health');
    expect(res.status).toBe(503);
    expect(res.body.down).toEqual(['database']);
    expect(res.body.database.status).toBe('down');
    expect(res.body.temporal.status).toBe('up');
  });
});

describe('GET /health/live', () => {
  it('answers without asking the database or Temporal', async () => {
    const database = await createTestDatabase();
    const app = createApp({ ...deps(), db: database.db });
    await database.close();
    const res = await request(app).get('/health/live');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });
});

function deps() {
  return { config: h.config, db: h.db, logger: createLogger('silent'), temporal: h.temporal, taskQueue: h.taskQueue, storage: h.storage };
}
