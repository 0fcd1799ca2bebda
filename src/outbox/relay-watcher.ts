import type { Client } from '@temporalio/client';
import pg from 'pg';
import type { Db } from '../db/schema';
import type { Logger } from '../logger';
import { outboxNewsSignal } from '../temporal/contracts/webhooks';
import { workflowIds } from '../temporal/workflow-ids';
import { intentsInFlight, wakeIfOwed } from './relay-wakeups';

export interface RelayWatcherOptions {
  db: Db;
  /** Postgres: news arrives by LISTEN on its own connection. Without it (embedded) the watcher looks every `tickMs`. */
  databaseUrl?: string;
  client: Client;
  taskQueue: string;
  logger: Logger;
  tickMs?: number;
}

export interface RelayWatcher {
  stop(): Promise<void>;
}

const CHANNEL = 'sellflow_outbox';
/** Postgres: a look now and then besides LISTEN, for news told while the connection was down. */
const SAFETY_TICK_MS = 30_000;
const EMBEDDED_TICK_MS = 500;
/** While committed intents are untold (their teller may have died), look again this often. */
const INTENT_RECHECK_MS = 1_000;

/**
 * The worker's ear for the outbox: on news (a NOTIFY from the outbox triggers (migrations 0025, 0026), or
 * the embedded engine's tick) it asks the database whether the relay sleeps through owed
 * work, and when this worker claimed the wake-up, signals the relay. The check reads state,
 * not messages, so news missed while a connection was down is found by the next look; and
 * it costs the engine nothing unless the relay must wake.
 */
export function startRelayWatcher(options: RelayWatcherOptions): RelayWatcher {
  const { db, client, taskQueue, logger } = options;
  let stopped = false;
  let checking: Promise<void> | undefined;
  let again = false;
  let signalOwed = false;
  let recheck: NodeJS.Timeout | undefined;
  let listener: pg.Client | undefined;
  let reconnect: NodeJS.Timeout | undefined;

  const relay = () => client.workflow.getHandle(workflowIds.eventDispatcher(taskQueue));

  async function look(): Promise<void> {
    if (await wakeIfOwed(db, taskQueue)) signalOwed = true;
    if (signalOwed) {
      await relay().signal(outboxNewsSignal);
      signalOwed = false;
    }
    if (!recheck && (await intentsInFlight(db))) recheck = setTimeout(() => ((recheck = undefined), check()), INTENT_RECHECK_MS);
  }

  /** One look at a time; news during a look brings one more. Failures (database or engine away) are retried by the next tick. */
  function check(): void {
    if (stopped) return;
    if (checking) {
      again = true;
      return;
    }
    checking = look()
      .catch((error: unknown) => {
        logger.debug({ err: error }, 'relay watcher: look failed, retrying');
        if (!recheck && !stopped) recheck = setTimeout(() => ((recheck = undefined), check()), INTENT_RECHECK_MS);
      })
      .finally(() => {
        checking = undefined;
        if (again) {
          again = false;
          check();
        }
      });
  }

  async function listen(url: string, delayMs = 1_000): Promise<void> {
    const connection = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
    let retried = false;
    const retry = () => {
      if (retried) return;
      retried = true;
      if (listener === connection) listener = undefined;
      void connection.end().catch(() => undefined);
      if (!stopped && !reconnect)
        reconnect = setTimeout(() => ((reconnect = undefined), void listen(url, Math.min(delayMs * 2, 10_000))), delayMs);
    };
    connection.on('error', retry);
    connection.on('end', retry);
    connection.on('notification', () => check());
    try {
      await connection.connect();
      await connection.query(`listen ${CHANNEL}`);
      if (stopped) return void (await connection.end());
      listener = connection;
      // News told while this connection was down is only in the tables: look now.
      check();
    } catch {
      retry();
    }
  }

  const tick = setInterval(check, options.databaseUrl ? SAFETY_TICK_MS : (options.tickMs ?? EMBEDDED_TICK_MS));
  if (options.databaseUrl) void listen(options.databaseUrl);
  check();

  return {
    async stop() {
      stopped = true;
      clearInterval(tick);
      clearTimeout(recheck);
      clearTimeout(reconnect);
      await checking;
      await listener?.end().catch(() => undefined);
    },
  };
}
