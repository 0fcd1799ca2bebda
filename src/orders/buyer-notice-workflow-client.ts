import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import type { BuyerNoticeInput } from '../temporal/contracts/buyer-notice';
import { workflowIds } from '../temporal/workflow-ids';
import { startWorkflow } from '../temporal/workflow-client';
import { type BuyerNotice, buyerNoticeKey } from './buyer-notices';

/** Starts one notice's workflow once: its id is the invoice's and the event's key. */
export async function startBuyerNotice(client: Client, taskQueue: string, invoiceId: number, notice: BuyerNotice): Promise<void> {
  const args: [BuyerNoticeInput] = [{ invoiceId, notice }];
  try {
    await startWorkflow(client, 'buyerNotice', {
      taskQueue,
      workflowId: workflowIds.buyerNotice(invoiceId, buyerNoticeKey(notice)),
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      args,
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}
