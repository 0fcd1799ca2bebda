import { DefaultLogger, type LogLevel, Runtime } from '@temporalio/worker';
import type { Logger } from '../logger';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

let installed = false;

/**
 * Sends the Temporal SDK's own logs through pino. Its INFO lines (bundle statistics,
 * state changes) are noise for operators, so only WARN and above pass by default.
 */
export function installTemporalRuntimeLogger(
  logger: Logger,
  level: LogLevel = 'WARN',
  options: {
    /** Where the SDK serves its own worker metrics (Prometheus text at /metrics); unset, it keeps none. */
    metricsBindAddress?: string;
  } = {},
): void {
  if (installed) return;
  installed = true;
  const child = logger.child({ component: 'temporal-sdk' });
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => child[LEVELS[entry.level]]({ ...entry.meta }, entry.message)),
    ...(options.metricsBindAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: options.metricsBindAddress, useSecondsForDurations: true } } } }
      : {}),
  });
}
