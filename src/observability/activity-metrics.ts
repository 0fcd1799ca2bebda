import { CancelledFailure, ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { activityAttempts, activityFailures } from './metrics';

/** The error's kind for sellflow_activity_failures_total: an ApplicationFailure's type, else the error's name. */
function errorType(error: unknown): string {
  if (error instanceof ApplicationFailure && error.type) return error.type;
  return error instanceof Error ? error.name : 'unknown';
}

/** Counts every activity attempt this worker runs, and its failures by type. */
export const activityMetricsInterceptor: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      const activityType = ctx.info.activityType;
      try {
        const result = await next(input);
        activityAttempts.inc({ activity_type: activityType, outcome: 'completed' });
        return result;
      } catch (error) {
        const cancelled = error instanceof CancelledFailure;
        activityAttempts.inc({ activity_type: activityType, outcome: cancelled ? 'cancelled' : 'failed' });
        if (!cancelled) activityFailures.inc({ activity_type: activityType, error_type: errorType(error) });
        throw error;
      }
    },
  },
});
