import request from 'supertest';
import { createApp } from '../../src/api/app';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { connectClient } from '../../src/temporal/connection';
import { freePort } from '../../src/temporal/dev-server';
import { createTestDatabase } from '../helpers/database';
import { type Harness, startHarness } from '../helpers/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('GET /health', () => {
  it('is 200 with both components up', async () => {
    const res = await request(h.app).get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', down: [], database: { status: 'up' }, temporal: { status: 'up' } });
  });

  it('is 503 naming temporal when Temporal does not answer', async () => {
    const config = loadConfig({ LOG_LEVEL: 'silent' });
    const deadAddress = `127.0.0.1:${await freePort()}`;
    // The client connects lazily, so an API process starts even when Temporal is down.
    const temporal = await connectClient(config, deadAddress);
    const app = createApp({ config, db: h.db, logger: createLogger('silent'), taskQueue: 'unused', temporal, storage: h.storage });
    const res = await request(app).get('/health');
    expect(res.status).toBe(503);
    expect(res.body.down).toEqual(['temporal']);
    expect(res.body.database.status).toBe('up');
    await temporal.close();
  });

  it('is 503 naming database when the database is gone', async () => {
    const database = await createTestDatabase();
    const app = createApp({
      config: h.config,
      db: database.db,
      logger: createLogger('silent'),
      temporal: h.temporal,
      taskQueue: 'unused',
      storage: h.storage,
    });
    await database.close();
    const res = await request(app).get('/health');
    expect(res.status).toBe(503);
    expect(res.body.down).toEqual(['database']);
    expect(res.body.database.status).toBe('down');
    expect(res.body.temporal.status).toBe('up');
  });
});
