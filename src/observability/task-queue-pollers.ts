import { temporal } from '@temporalio/proto';
import type { TemporalClient } from '../temporal/connection';

/**
 * A worker long-polls each queue and polls again at once when a poll ends (at most about a
 * minute), so one that has not polled for longer than this is gone, even though the server
 * keeps listing it for minutes.
 */
export const POLLER_FRESH_MS = 90_000;

const KINDS = [
  ['workflow', temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW],
  ['activity', temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY],
] as const;

export interface TaskQueuePollers {
  taskQueue: string;
  /** Workers seen polling recently, per kind of task; a queue with 0 on either side does not move. */
  workflowPollers: number;
  activityPollers: number;
}

function millis(value: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return value ? Number(value.seconds ?? 0) * 1000 + Math.floor((value.nanos ?? 0) / 1e6) : 0;
}

/** DescribeTaskQueue for workflow and activity tasks: how many workers poll the queue now. */
export async function describePollers(client: TemporalClient, taskQueue: string, now = Date.now()): Promise<TaskQueuePollers> {
  const [workflowPollers, activityPollers] = await Promise.all(
    KINDS.map(async ([, taskQueueType]) => {
      const answer = await client.probe.workflowService.describeTaskQueue({
        namespace: client.namespace,
        taskQueue: { name: taskQueue },
        taskQueueType,
      });
      return (answer.pollers ?? []).filter((p) => now - millis(p.lastAccessTime) < POLLER_FRESH_MS).length;
    }),
  );
  return { taskQueue, workflowPollers: workflowPollers!, activityPollers: activityPollers! };
}
