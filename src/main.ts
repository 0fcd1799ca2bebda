import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config';
import { openDatabase } from './db/connect';
import { migrateToLatest } from './db/migrate';
import type { Logger } from './logger';
import { Shutdown } from './shutdown';
import { resolveTemporalCli } from './tools/go-tools';
import { connectClient, connectWorker, externalAddress } from './temporal/connection';
import { freePort, startDevServer } from './temporal/dev-server';
import { appendTemporalSdkMetrics } from './observability/metrics';
import { startMetricsServer } from './observability/metrics-server';
import { installTemporalRuntimeLogger } from './temporal/runtime-logger';
import { mainTaskQueue } from './temporal/task-queues';
import { rateLimitStoreFor } from './api/middleware/rate-limit';
import { waitForDependency } from './wait-for-dependency';
import { workflowBundle } from './temporal/workflow-bundle';
import { Client } from '@temporalio/client';
import type * as GrantClientModule from './community/grant-workflow-client';
import type * as TelegramUpdatesModule from './community/telegram-updates';
import type * as ServerModule from './server';
import type * as StorageModule from './storage/create-storage';
import type * as TracingModule from './observability/tracing';
import type * as WorkerModule from './worker';
import { SecretBox } from './security/secret-box';

type Role = 'all' | 'api' | 'worker';

/**
 * A module of this project loaded when a role needs it, not at start. `require`, not
 * `import()`: the sources run through tsx's CommonJS hook, which `import()` bypasses.
 */
function load<T>(specifier: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(specifier) as T;
}

/**
 * Starts the parts of Sellflow a role needs. `all` (npm start) also brings up the embedded
 * infrastructure: a Temporal dev server unless TEMPORAL_ADDRESS is set, and PGlite unless
 * DATABASE_URL is set. `api` and `worker` use what is already running.
 */
export async function run(role: Role, config: Config, logger: Logger): Promise<Shutdown> {
  const shutdown = new Shutdown(logger);
  shutdown.onSignals();
  try {
    await start(role, config, logger, shutdown);
  } catch (error) {
    await shutdown.run();
    throw error;
  }
  return shutdown;
}

async function start(role: Role, config: Config, logger: Logger, shutdown: Shutdown): Promise<void> {
  fs.mkdirSync(config.dataDir, { recursive: true });
  // Before the API's modules load, so node:http is instrumented; without an endpoint the SDK is never loaded.
  const tracing = config.tracing.otlpEndpoint
    ? load<typeof TracingModule>('./observability/tracing').startTracing({ serviceName: `sellflow-${role}` })
    : undefined;
  // Added first, so closed last: the spans of everything stopping before it are still sent.
  if (tracing) shutdown.add('tracing', tracing.shutdown);
  // A worker's SDK serves its own metrics on a loopback port; our /metrics appends them.
  const sdkMetrics = role === 'api' ? undefined : `127.0.0.1:${await freePort()}`;
  installTemporalRuntimeLogger(logger, undefined, { metricsBindAddress: sdkMetrics });
  if (sdkMetrics) appendTemporalSdkMetrics(`http://${sdkMetrics}/metrics`);
  let temporalAddress = externalAddress(config);
  let uiUrl: string | null = null;

  if (role === 'all' && !config.temporal.address) {
    const cli = await resolveTemporalCli({
      configuredPath: config.temporal.cliPath,
      searchPath: config.temporal.searchPath,
      onProgress: (line) => logger.info(line),
    });
    logger.info({ binary: cli.path, source: cli.source }, 'starting the Temporal dev server');
    const dev = await startDevServer({
      binary: cli.path,
      port: config.temporal.devServer.port,
      uiPort: config.temporal.devServer.uiPort,
      dbFile: config.temporal.devServer.dbFile,
      namespace: config.temporal.namespace,
      logFile: path.join(config.dataDir, 'temporal.log'),
    });
    shutdown.add('temporal dev server', dev.stop);
    temporalAddress = dev.address;
    uiUrl = dev.uiUrl;
  }

  const database = await openDatabase(config, { own: role === 'all' });
  shutdown.add('database', database.close);
  // Started before its database (a deploy, a reboot): wait for it rather than exit.
  await waitForDependency('the database', () => database.ping(), logger);
  const applied = await migrateToLatest(database.db);
  if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');

  const taskQueue = mainTaskQueue(config.temporal.taskQueuePrefix);
  const summary: Record<string, string> = { database: database.description, temporal: temporalAddress };
  if (uiUrl) summary.temporalUi = uiUrl;

  if (role === 'all' || role === 'worker') {
    // Each role loads only its own code: a worker never pays for the API's routes, nor the API for the activities.
    const { createWorker } = load<typeof WorkerModule>('./worker');
    const { CommunityGrantWorkflows } = load<typeof GrantClientModule>('./community/grant-workflow-client');
    const { TelegramUpdatePoller } = load<typeof TelegramUpdatesModule>('./community/telegram-updates');
    const connection = await waitForDependency('Temporal', () => connectWorker(config, temporalAddress), logger);
    const { codePath } = await workflowBundle(logger, { tracing: Boolean(tracing) });
    const worker = await waitForDependency(
      'Temporal',
      () => createWorker({ config, db: database.db, connection, logger, workflowBundle: { codePath }, tracing }),
      logger,
    );
    const running = worker.run();
    shutdown.add('worker', async () => {
      // The SDK drains the worker on SIGINT/SIGTERM itself; ask only if it has not begun.
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
    });
    running.catch((error: unknown) => {
      logger.fatal({ err: error }, 'worker stopped unexpectedly');
      void shutdown.run().then(() => process.exit(1));
    });
    summary.taskQueue = taskQueue;
    if (config.metrics.port !== undefined) {
      const metrics = await startMetricsServer(config.metrics.port, config.api.host);
      shutdown.add('metrics', metrics.close);
      summary.metrics = metrics.url;
    }
    // Our Telegram bot's updates, when they are not pushed to the webhook route.
    const telegram = config.community.telegram;
    if (telegram.botToken && telegram.polling && !telegram.webhookSecret) {
      const grants = new CommunityGrantWorkflows(
        new Client({ connection, namespace: config.temporal.namespace }),
        taskQueue,
        config.community,
      );
      const poller = new TelegramUpdatePoller(
        { db: database.db, secrets: SecretBox.fromConfig(config.secrets), config: config.community },
        grants,
        logger,
      );
      poller.start();
      shutdown.add('telegram updates', () => poller.stop());
    }
  }

  if (role === 'all' || role === 'api') {
    const { startApi } = load<typeof ServerModule>('./server');
    const { createObjectStorage } = load<typeof StorageModule>('./storage/create-storage');
    const temporal = await connectClient(config, temporalAddress, { workflowInterceptors: tracing?.workflowClientInterceptors });
    shutdown.add('temporal client', temporal.close);
    const rateLimitStore = rateLimitStoreFor(database);
    shutdown.add('rate limit counters', rateLimitStore.close);
    const api = await startApi({
      config,
      db: database.db,
      logger,
      temporal,
      taskQueue,
      storage: createObjectStorage(config),
      rateLimitStore,
    });
    shutdown.add('api', api.close);
    summary.api = api.url;
    summary.openapi = `${api.url}/api/openapi.json`;
  }

  logger.info(summary, 'Sellflow is up');
  const lines = [
    `Sellflow ${role === 'all' ? 'is up' : `${role} is up`}:`,
    summary.api && `  API          ${summary.api}   (health: ${summary.api}/health)`,
    summary.openapi && `  OpenAPI      ${summary.openapi}`,
    `  Temporal     ${temporalAddress}${role === 'all' && !config.temporal.address ? ' (dev server)' : ''}`,
    uiUrl && `  Temporal UI  ${uiUrl}`,
    `  Database     ${database.description}`,
    summary.taskQueue && `  Worker       task queue ${summary.taskQueue}`,
    summary.metrics && `  Metrics      ${summary.metrics}`,
    config.tracing.otlpEndpoint && `  Traces       OTLP to ${config.tracing.otlpEndpoint}`,
    '  Ctrl-C stops everything.',
  ].filter(Boolean);
  process.stdout.write(lines.join('\n') + '\n');
}
