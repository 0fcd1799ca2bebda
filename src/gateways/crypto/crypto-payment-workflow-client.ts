import { type Client, WorkflowIdConflictPolicy } from '@temporalio/client';
import { workflowIds } from '../../temporal/workflow-ids';
import type { CryptoSettings } from './chain-access';

/** Starts (or finds running) the invoice's cryptoPayment workflow. */
export async function startCryptoPaymentWorkflow(client: Client, taskQueue: string, settings: CryptoSettings, invoiceId: number): Promise<void> {
  await client.workflow.start('cryptoPayment', {
    taskQueue,
    workflowId: workflowIds.cryptoPayment(invoiceId),
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    args: [{ invoiceId, orderWorkflowId: workflowIds.order(invoiceId), pollMs: settings.pollMs, pollsPerRun: settings.pollsPerRun }],
  });
}
