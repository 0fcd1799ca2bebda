import type { Client } from '@temporalio/client';
import { StatusAttribute, StoreIdAttribute } from '../temporal/search-attributes';
import { workflowIds } from '../temporal/workflow-ids';
import { signalWithStartWorkflow } from '../temporal/workflow-client';
import { type SubscriptionInput, subscriptionChangedSignal } from '../temporal/contracts/subscription';

/**
 * Wakes a subscription's workflow after its record changed, starting it when none runs
 * (first payment, or a workflow lost to an outage). Starting one for a subscription that
 * has already ended is harmless: it finds its work done and finishes.
 */
export async function subscriptionChanged(
  client: Client,
  taskQueue: string,
  subscription: { id: number; store_id: number; status: string },
  reason: string,
): Promise<void> {
  const args: [SubscriptionInput] = [{ subscriptionId: subscription.id, storeId: subscription.store_id }];
  await signalWithStartWorkflow(client, 'subscription', {
    taskQueue,
    workflowId: workflowIds.subscription(subscription.id),
    args,
    signal: subscriptionChangedSignal,
    signalArgs: [{ reason }],
    typedSearchAttributes: [
      { key: StoreIdAttribute, value: String(subscription.store_id) },
      { key: StatusAttribute, value: subscription.status },
    ],
  });
}
