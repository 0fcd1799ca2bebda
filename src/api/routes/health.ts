import { Router } from 'express';
import { pingDatabase } from '../../db/connect';
import type { ApiDependencies } from '../context';
import { describePollers, type TaskQueuePollers } from '../../observability/task-queue-pollers';

type ComponentState = { status: 'up' } | { status: 'down'; error: string };

async function probe<T>(check: () => Promise<T>, timeoutMs: number): Promise<ComponentState & { value?: T }> {
  let timer: NodeJS.Timeout | undefined;
  const pending = check();
  // A check that loses the race may still fail later (e.g. gRPC retries): not unhandled.
  pending.catch(() => undefined);
  try {
    const value = await Promise.race([
      pending,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: 'up', value };
  } catch (error) {
    return { status: 'down', error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** Up when at least one worker polls both the workflow and the activity tasks of every queue. */
function workersState(queues: TaskQueuePollers[]): ComponentState {
  const idle = queues.filter((q) => q.workflowPollers === 0 || q.activityPollers === 0);
  if (idle.length === 0) return { status: 'up' };
  const named = idle.map((q) => `${q.taskQueue} (workflow pollers ${q.workflowPollers}, activity pollers ${q.activityPollers})`);
  return { status: 'down', error: `no worker polls ${named.join(', ')}` };
}

/**
 * GET /health: 200 when the database and Temporal answer and a worker polls each task
 * queue; 503 naming what is missing. GET /health/live: the process answers (no I/O).
 */
export function healthRouter(deps: ApiDependencies): Router {
  const router = Router();
  router.get('/health/live', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/health', async (_req, res) => {
    const taskQueues = [deps.taskQueue];
    const [database, temporal, pollers] = await Promise.all([
      probe(() => pingDatabase(deps.db), 2_000),
      probe(() => deps.temporal.health(2_000), 2_500),
      probe(() => Promise.all(taskQueues.map((q) => describePollers(deps.temporal, q))), 2_500),
    ]);
    // With Temporal down nobody can tell whether workers poll: Temporal is what is missing.
    const workers: ComponentState =
      temporal.status === 'down'
        ? { status: 'down', error: 'Temporal does not answer' }
        : pollers.value
          ? workersState(pollers.value)
          : pollers;
    const down = [
      database.status === 'down' ? 'database' : null,
      temporal.status === 'down' ? 'temporal' : null,
      temporal.status === 'up' && workers.status === 'down' ? 'workers' : null,
    ].filter((name): name is string => name !== null);
    res.status(down.length === 0 ? 200 : 503).json({
      status: down.length === 0 ? 'ok' : 'degraded',
      down,
      database: { status: database.status, ...(database.status === 'down' ? { error: database.error } : {}) },
      temporal: {
        status: temporal.status,
        ...(temporal.status === 'down' ? { error: temporal.error } : {}),
        address: deps.temporal.address,
        namespace: deps.temporal.namespace,
      },
      workers: {
        ...workers,
        task_queues: (pollers.value ?? []).map((q) => ({
          task_queue: q.taskQueue,
          workflow_pollers: q.workflowPollers,
          activity_pollers: q.activityPollers,
        })),
      },
    });
  });
  return router;
}
