import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import type { CheckoutRemindersInput } from '../temporal/contracts/checkout-reminders';
import { workflowIds } from '../temporal/workflow-ids';
import { startWorkflow } from '../temporal/workflow-client';

/** Starts an unpaid checkout's reminder timers once (the id is the invoice's: the relay's second start is refused). */
export async function startCheckoutReminders(client: Client, taskQueue: string, invoiceId: number): Promise<void> {
  const args: [CheckoutRemindersInput] = [{ invoiceId }];
  try {
    await startWorkflow(client, 'checkoutReminders', {
      taskQueue,
      workflowId: workflowIds.checkoutReminders(invoiceId),
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      args,
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}

/** The checkout was paid or voided: its reminder timers are cancelled (ended already: nothing to do). */
export async function stopCheckoutReminders(client: Client, invoiceId: number): Promise<void> {
  try {
    await client.workflow.getHandle(workflowIds.checkoutReminders(invoiceId)).cancel();
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
}
