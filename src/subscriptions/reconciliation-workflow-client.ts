import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { SubscriptionReconciliationInput } from '../temporal/contracts/subscription-reconciliation';
import { startWorkflow } from '../temporal/workflow-client';

/** A reconciliation run on demand (API or CLI); the daily schedule starts the regular ones. */
export function startReconciliation(client: Client, taskQueue: string, input: SubscriptionReconciliationInput) {
  return startWorkflow(client, 'subscriptionReconciliation', {
    taskQueue,
    workflowId: `subscription-reconciliation-manual-${randomUUID()}`,
    args: [input],
    workflowExecutionTimeout: '1 hour',
  });
}
