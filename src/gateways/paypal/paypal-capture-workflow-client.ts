import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import type { PaypalCaptureInput } from '../../temporal/contracts/paypal-capture';
import { workflowIds } from '../../temporal/workflow-ids';
import { startWorkflow } from '../../temporal/workflow-client';

/**
 * Starts the capture of an approved PayPal order once per invoice: the buyer's return and PayPal's
 * CHECKOUT.ORDER.APPROVED (and their redeliveries) all name the same workflow id, so the one that
 * comes first starts it and the others are refused. Only a capture PayPal refused may run again.
 */
export async function startPaypalCapture(client: Client, taskQueue: string, input: PaypalCaptureInput): Promise<void> {
  const args: [PaypalCaptureInput] = [input];
  try {
    await startWorkflow(client, 'paypalCapture', {
      taskQueue,
      workflowId: workflowIds.paypalCapture(input.invoiceId),
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      args,
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}
