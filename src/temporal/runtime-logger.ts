import { SdkComponent } from '@temporalio/common';
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

/** What our workflows and activities log (the SDK's replay-safe loggers), as opposed to the SDK's own lines. */
const OURS = new Set<string>([SdkComponent.workflow, SdkComponent.activity]);
const SEVERITY: LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/**
 * Sends the Temporal SDK's logs through pino. What workflows and activities log (`log` from
 * @temporalio/workflow and @temporalio/activity, with the workflow's and activity's ids) follows
 * pino's level, so a worker's log says what its orders did; the SDK's own INFO lines (bundle
 * statistics, state changes) are noise for operators, so of those only `level` and above pass.
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
    logger: new DefaultLogger('TRACE', (entry) => {
      const ours = OURS.has(String(entry.meta?.sdkComponent));
      if (!ours && SEVERITY.indexOf(entry.level) < SEVERITY.indexOf(level)) return;
      child[LEVELS[entry.level]]({ ...entry.meta }, entry.message);
    }),
    ...(options.metricsBindAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: options.metricsBindAddress, useSecondsForDurations: true } } } }
      : {}),
  });
}
