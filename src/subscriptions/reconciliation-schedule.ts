import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import type { WorkflowName, WorkflowSignatures } from '../temporal/contracts/workflows';

export const reconciliationScheduleId = (taskQueue: string) => `subscription-reconciliation-${taskQueue}`;

/**
 * The daily subscription reconciliation, as a Temporal Schedule (one per task queue; every
 * worker makes sure it exists). An existing schedule is left as ops may have tuned it.
 */
export async function ensureReconciliationSchedule(client: Client, taskQueue: string, hourUtc: number): Promise<void> {
  try {
    await client.schedule.create<WorkflowSignatures['subscriptionReconciliation']>({
      scheduleId: reconciliationScheduleId(taskQueue),
      spec: { calendars: [{ hour: hourUtc, minute: 0 }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'subscriptionReconciliation' satisfies WorkflowName,
        taskQueue,
        args: [{ trigger: 'schedule' }],
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
}
