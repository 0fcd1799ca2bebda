import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { ChargeWebhookInput, DeliveryInput } from '../temporal/contracts/webhooks';
import { startWorkflow } from '../temporal/workflow-client';

/** One event to one target: a store's webhook endpoint, a notification channel, or a charge's own webhook URL. */
export type DeliveryStart =
  | { type: 'webhookDelivery' | 'notificationDelivery'; workflowId: string; args: [DeliveryInput] }
  | { type: 'chargeWebhook'; workflowId: string; args: [ChargeWebhookInput] };

/** Starts a delivery workflow once: its id is per event and target, so a rerun is a no-op. */
export async function startDeliveryOnce(client: Client, taskQueue: string, start: DeliveryStart): Promise<void> {
  try {
    if (start.type === 'chargeWebhook')
      await startWorkflow(client, start.type, { taskQueue, workflowId: start.workflowId, args: start.args });
    else await startWorkflow(client, start.type, { taskQueue, workflowId: start.workflowId, args: start.args });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}
