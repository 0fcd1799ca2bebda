import { Client, WorkflowIdConflictPolicy } from '@temporalio/client';
import { type NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { Config } from './config';
import type { Db } from './db/schema';
import type { Logger } from './logger';
import { PaypalGateway } from './gateways/paypal/paypal-gateway';
import { StripeGateway } from './gateways/stripe-gateway';
import { SecretBox } from './security/secret-box';
import { createObjectStorage } from './storage/create-storage';
import { ensurePayoutSchedules } from './affiliates/payout-schedule';
import { ensureReconciliationSchedule } from './subscriptions/reconciliation-schedule';
import { mainTaskQueue } from './temporal/task-queues';
import { activityMetricsInterceptor } from './observability/activity-metrics';
import { startWorkflow } from './temporal/workflow-client';
import type { Tracing } from './observability/tracing';
import { workflowIds } from './temporal/workflow-ids';
import { startRelayWatcher } from './outbox/relay-watcher';

export const WORKFLOWS_PATH = require.resolve('../workflows');

export interface WorkerOptions {
  config: Config;
  db: Db;
  connection: NativeConnection;
  logger: Logger;
  taskQueue?: string;
  /** A prebuilt bundle (tests bundle once per run); otherwise the worker bundles workflows/. */
  workflowBundle?: { codePath: string } | { code: string };
  /** Set when the process traces; the bundle must then be the traced one (workflowBundle's `tracing`). */
  tracing?: Tracing;
}

export async function createWorker(options: WorkerOptions): Promise<Worker> {
  const taskQueue = options.taskQueue ?? mainTaskQueue(options.config.temporal.taskQueuePrefix);
  const tracing = options.tracing;
  const client = new Client({
    connection: options.connection,
    namespace: options.config.temporal.namespace,
    ...(tracing ? { interceptors: { workflow: tracing.workflowClientInterceptors } } : {}),
  });
  const worker = await Worker.create({
    connection: options.connection,
    namespace: options.config.temporal.namespace,
    taskQueue,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    // A deploy's SIGTERM lets a slow delivery finish instead of cutting it mid-call (and the
    // seller's endpoint seeing it twice); past the grace the attempt is cancelled and retried
    // elsewhere, and a little later the worker gives up waiting so the process can exit.
    shutdownGraceTime: options.config.temporal.shutdownGraceMs,
    shutdownForceTime: options.config.temporal.shutdownGraceMs + 10_000,
    ...definedOnly(options.config.temporal.tuning),
    interceptors: { activity: [activityMetricsInterceptor, ...(tracing?.activityInterceptors ?? [])] },
    ...(tracing ? { sinks: tracing.sinks } : {}),
    activities: createActivities({
      db: options.db,
      logger: options.logger,
      secrets: SecretBox.fromConfig(options.config.secrets),
      allowPrivateNetworks: options.config.webhooks.allowPrivateNetworks,
      notifications: options.config.notifications,
      storage: createObjectStorage(options.config),
      stripe: new StripeGateway(options.config.stripe.apiBase),
      paypal: new PaypalGateway(options.config.paypal.apiUrl),
      paypalCaptureChecks: options.config.paypal.captureChecks,
      subscriptions: options.config.subscriptions,
      crypto: options.config.crypto,
      community: options.config.community,
      publicBaseUrl: options.config.api.publicBaseUrl,
      checkoutReminders: options.config.checkoutReminders,
      client,
      taskQueue,
    }),
  });
  // The outbox relay runs once per task queue; every worker makes sure it is running.
  await startWorkflow(client, 'eventDispatcher', {
    taskQueue,
    workflowId: workflowIds.eventDispatcher(taskQueue),
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
  await ensureReconciliationSchedule(client, taskQueue, options.config.subscriptions.reconcileHourUtc);
  await ensurePayoutSchedules(client, taskQueue, options.db, options.logger);
  // The relay sleeps between news; this worker wakes it while it runs (and stops with it).
  const run = worker.run.bind(worker);
  worker.run = async () => {
    const watcher = startRelayWatcher({
      db: options.db,
      databaseUrl: options.config.database.url,
      client,
      taskQueue,
      logger: options.logger,
    });
    try {
      return await run();
    } finally {
      await watcher.stop();
    }
  };
  return worker;
}

/** The tuning options that are set: an explicit undefined must not override the SDK's defaults. */
function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
