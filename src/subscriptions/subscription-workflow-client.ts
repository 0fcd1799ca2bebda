import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import { StatusAttribute, StoreIdAttribute } from '../temporal/search-attributes';
import { workflowIds } from '../temporal/workflow-ids';
import { signalWithStartWorkflow } from '../temporal/workflow-client';
import {
  SUBSCRIPTION_ACTION_REFUSED,
  type PaymentMethodUpdateRequest,
  paymentMethodUpdate,
  type SubscriptionActionRequest,
  type SubscriptionInput,
  subscriptionActionUpdate,
  subscriptionChangedSignal,
  type SubscriptionChangePreviewRequest,
  type SubscriptionChangePreviewView,
  subscriptionChangePreviewUpdate,
} from '../temporal/contracts/subscription';
import { SubscriptionConflictError } from './errors';
import type { SubscriptionActionView } from './subscription-actions';

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

/**
 * Asks the subscription's workflow to take a lifecycle action and answers with its decision:
 * the action record, or a SubscriptionConflictError naming the capability's reason. The
 * workflow is started (or woken) first, so an action never waits for a workflow lost to an
 * outage; one that has finished (the subscription ended) refuses.
 */
export async function takeSubscriptionAction(
  client: Client,
  taskQueue: string,
  subscription: { id: number; store_id: number; status: string },
  request: SubscriptionActionRequest,
): Promise<SubscriptionActionView> {
  return askWorkflow(client, taskQueue, subscription, request.action, subscriptionActionUpdate, request);
}

/** update-payment-method: the provider's hosted page, as the subscription's workflow answers it. */
export async function paymentMethodUpdatePage(
  client: Client,
  taskQueue: string,
  subscription: { id: number; store_id: number; status: string },
  request: PaymentMethodUpdateRequest,
): Promise<string> {
  return (await askWorkflow(client, taskQueue, subscription, 'update_payment_method', paymentMethodUpdate, request)).url;
}

/** change-plan / change-renewal-date preview: what the confirm would do, as the subscription's workflow answers it. */
export async function previewSubscriptionChange(
  client: Client,
  taskQueue: string,
  subscription: { id: number; store_id: number; status: string },
  request: SubscriptionChangePreviewRequest,
): Promise<SubscriptionChangePreviewView> {
  return askWorkflow(client, taskQueue, subscription, `preview_${request.action}`, subscriptionChangePreviewUpdate, request);
}

async function askWorkflow<Ret, Arg>(
  client: Client,
  taskQueue: string,
  subscription: { id: number; store_id: number; status: string },
  action: string,
  update: UpdateDefinition<Ret, [Arg]>,
  arg: Arg,
): Promise<Ret> {
  await subscriptionChanged(client, taskQueue, subscription, `action:${action}`);
  try {
    return await client.workflow.getHandle(workflowIds.subscription(subscription.id)).executeUpdate(update, { args: [arg] });
  } catch (error) {
    if (error instanceof WorkflowNotFoundError)
      throw new SubscriptionConflictError('subscription_ended', 'The subscription has ended: there is nothing left to change');
    const cause = error instanceof WorkflowUpdateFailedError ? error.cause : undefined;
    if (cause instanceof ApplicationFailure && cause.type === SUBSCRIPTION_ACTION_REFUSED)
      throw new SubscriptionConflictError(String(cause.details?.[0] ?? 'not_allowed'), cause.message);
    throw error;
  }
}
