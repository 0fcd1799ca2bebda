import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Worker } from '@temporalio/worker';
import type { Express } from 'express';
import { createStore } from '../../src/accounts/stores';
import { createApp } from '../../src/api/app';
import { rateLimitStoreFor } from '../../src/api/middleware/rate-limit';
import { type Config, loadConfig } from '../../src/config';
import type { Db } from '../../src/db/schema';
import { createLogger, type Logger } from '../../src/logger';
import { connectClient, connectWorker, type TemporalClient } from '../../src/temporal/connection';
import { createObjectStorage } from '../../src/storage/create-storage';
import { LocalObjectStorage } from '../../src/storage/local-storage';
import type { ObjectStorage } from '../../src/storage/object-storage';
import { createWorker } from '../../src/worker';
import { createTestDatabase, type TestDatabase } from './database';

export interface Harness {
  app: Express;
  db: Db;
  database: TestDatabase;
  config: Config;
  temporal: TemporalClient;
  taskQueue: string;
  storage: ObjectStorage;
  /** The local store, for tests that look at the files themselves. */
  localStorage(): LocalObjectStorage;
  createStore(slug?: string): Promise<{ id: number; slug: string; accountId: number; live: string; test: string }>;
  close(): Promise<void>;
}

export function testTemporalAddress(): string {
  const address = process.env.SELLFLOW_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('The jest global setup did not start Temporal');
  return address;
}

/**
 * The real thing, wired for one test file: a fresh database, a client of the run's
 * Temporal dev server, a worker on a task queue of its own (when asked), and the app.
 */
export async function startHarness(
  options: { worker?: boolean; env?: Record<string, string>; taskQueue?: string; database?: 'postgres'; logger?: Logger } = {},
): Promise<Harness> {
  const database = await createTestDatabase({ kind: options.database });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sellflow-harness-'));
  const address = testTemporalAddress();
  // Tests poll the API far faster than 60 requests a minute; the rate-limit test sets its own.
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    SELLFLOW_DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: address,
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_BURST: '1000000',
    RATE_LIMIT_PUBLIC_PER_MINUTE: '1000000',
    RATE_LIMIT_PUBLIC_BURST: '1000000',
    // Test receivers listen on loopback; the network guard has its own test.
    WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
    // The worker's relay watcher LISTENs on its own connection to the test's database.
    ...(database.env.DATABASE_URL ? { DATABASE_URL: database.env.DATABASE_URL } : {}),
    ...options.env,
  });
  // The app's and the worker's logger (a test that reads the log passes its own).
  const logger = options.logger ?? createLogger('silent');
  const temporal = await connectClient(config, address);
  const taskQueue = options.taskQueue ?? `test-${randomUUID()}`;

  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let workerConnection: Awaited<ReturnType<typeof connectWorker>> | undefined;
  if (options.worker) {
    workerConnection = await connectWorker(config, address);
    worker = await createWorker({
      config,
      db: database.db,
      connection: workerConnection,
      logger,
      taskQueue,
      workflowBundle: { codePath: process.env.SELLFLOW_TEST_WORKFLOW_BUNDLE! },
    });
    running = worker.run();
  }

  const storage = createObjectStorage(config);
  // On Postgres the limits are shared as in production; embedded, counted in memory.
  const rateLimitStore = rateLimitStoreFor(database);
  const app = createApp({ config, db: database.db, logger, temporal, taskQueue, storage, rateLimitStore });
  let stores = 0;
  return {
    app,
    db: database.db,
    database,
    config,
    temporal,
    taskQueue,
    storage,
    localStorage() {
      if (!(storage instanceof LocalObjectStorage)) throw new Error('This harness uses S3 storage');
      return storage;
    },
    async createStore(slug = `store-${randomUUID().slice(0, 8)}-${++stores}`) {
      const created = await database.db.transaction().execute((trx) => createStore(trx, { slug }));
      return {
        id: created.store.id,
        slug: created.store.slug,
        accountId: created.store.account_id,
        live: created.keys.live.key,
        test: created.keys.test.key,
      };
    },
    async close() {
      if (worker && running) {
        worker.shutdown();
        await running;
      }
      await workerConnection?.close();
      await temporal.close();
      await rateLimitStore.close();
      await database.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
