import type { Client } from '@temporalio/client';
import { StatusAttribute, StoreIdAttribute } from '../temporal/search-attributes';
import { workflowIds } from '../temporal/workflow-ids';
import { type SubscriptionInput, subscriptionChangedSignal } from '../../workflows/subscription-definitions';

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
  await client.workflow.signalWithStart('subscription', {
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
