import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/**
 * What Temporal Cloud bills as actions, read off a history: a workflow started or continued,
 * each activity scheduled (local ones leave a marker), timer, signal, update, search-attribute
 * upsert and child workflow. Activity retries and heartbeats bill too but leave no event of
 * their own, so this is a floor.
 */
export function billableActions(events: HistoryEvent[]): number {
  return events.filter(
    (e) =>
      e.workflowExecutionStartedEventAttributes ||
      e.workflowExecutionContinuedAsNewEventAttributes ||
      e.activityTaskScheduledEventAttributes ||
      e.markerRecordedEventAttributes ||
      e.timerStartedEventAttributes ||
      e.workflowExecutionSignaledEventAttributes ||
      e.workflowExecutionUpdateAcceptedEventAttributes ||
      e.upsertWorkflowSearchAttributesEventAttributes ||
      e.startChildWorkflowExecutionInitiatedEventAttributes ||
      e.signalExternalWorkflowExecutionInitiatedEventAttributes,
  ).length;
}

/** The actions one workflow's current run has taken so far. */
export async function actionsSoFar(client: Client, workflowId: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return billableActions(history.events ?? []);
}

/** Actions per workflow over the given ids: mean and max. */
export async function actionsPer(client: Client, workflowIds: string[]): Promise<{ workflows: number; mean: number; max: number }> {
  const counts: number[] = [];
  for (const id of workflowIds) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    counts.push(billableActions(history.events ?? []));
  }
  const mean = counts.reduce((a, b) => a + b, 0) / Math.max(1, counts.length);
  return { workflows: counts.length, mean: Number(mean.toFixed(1)), max: Math.max(0, ...counts) };
}

/**
 * The engine's cost of doing nothing: the actions every Running workflow of the task queue
 * adds while no order arrives, over `seconds`, scaled to an hour.
 */
export async function idleActionsPerHour(
  client: Client,
  taskQueue: string,
  seconds: number,
): Promise<{ seconds: number; per_hour: number }> {
  const count = async () => {
    let total = 0;
    for await (const execution of client.workflow.list({ query: `ExecutionStatus = 'Running'` })) {
      if (execution.taskQueue !== taskQueue) continue;
      const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
      total += billableActions(history.events ?? []);
    }
    return total;
  };
  // What was just started settles first: only the quiet engine is counted.
  await new Promise((r) => setTimeout(r, 3_000));
  const before = await count();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const after = await count();
  return { seconds, per_hour: Math.round(((after - before) * 3600) / seconds) };
}
