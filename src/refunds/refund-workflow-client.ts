import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import type { RefundInput } from '../temporal/contracts/refund';
import { workflowIds } from '../temporal/workflow-ids';
import { startWorkflow } from '../temporal/workflow-client';

/** Starts the refund's workflow once: its id is the refund's, so a second start (a retried POST, the relay) is refused. */
export async function startRefundWorkflow(client: Client, taskQueue: string, refundId: number): Promise<void> {
  const args: [RefundInput] = [{ refundId }];
  try {
    await startWorkflow(client, 'refund', {
      taskQueue,
      workflowId: workflowIds.refund(refundId),
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      args,
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}
