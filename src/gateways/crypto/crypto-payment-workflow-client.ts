import { type Client, WorkflowIdConflictPolicy, WorkflowNotFoundError } from '@temporalio/client';
import { workflowIds } from '../../temporal/workflow-ids';
import { startWorkflow } from '../../temporal/workflow-client';
import { chainActivitySignal, type CryptoAcceptance, type CryptoPaymentInput } from '../../temporal/contracts/crypto-payment';
import type { CryptoSettings } from './chain-access';

/** Starts (or finds running) the invoice's cryptoPayment workflow. */
export async function startCryptoPaymentWorkflow(
  client: Client,
  taskQueue: string,
  settings: CryptoSettings,
  invoiceId: number,
  acceptance: CryptoAcceptance,
): Promise<void> {
  await startWorkflow(client, 'cryptoPayment', {
    taskQueue,
    workflowId: workflowIds.cryptoPayment(invoiceId),
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    args: [
      {
        invoiceId,
        orderWorkflowId: workflowIds.order(invoiceId),
        pollMs: settings.pollMs,
        pollsPerRun: settings.pollsPerRun,
        acceptance,
      } satisfies CryptoPaymentInput,
    ],
  });
}

/** Pushed news of the chain (a node's webhook, the customer's "I have paid"): look now, not at the next poll. */
export async function pokeCryptoPayment(client: Client, invoiceId: number): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowIds.cryptoPayment(invoiceId)).signal(chainActivitySignal);
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}
