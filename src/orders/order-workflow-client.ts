import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, type UpdateDefinition, WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import { NeedsAttentionAttribute, StatusAttribute, StoreIdAttribute } from '../temporal/search-attributes';
import { workflowIds } from '../temporal/workflow-ids';
import { signalWithStartWorkflow, startWorkflow } from '../temporal/workflow-client';
import {
  FULFILLMENT_REFUSED,
  type FulfillmentRefusal,
  type OrderInput,
  paymentReceivedSignal,
  saleChangedSignal,
  voidRequestedSignal,
} from '../temporal/contracts/order';
import { FulfillmentRefusedError } from './errors';

export interface OrderRef {
  id: number;
  store_id: number;
  expires_at: Date;
  status: string;
}

function startOptions(invoice: OrderRef, taskQueue: string) {
  const args: [OrderInput] = [{ invoiceId: invoice.id, storeId: invoice.store_id, expiresAt: invoice.expires_at.toISOString() }];
  return {
    taskQueue,
    workflowId: workflowIds.order(invoice.id),
    // An order runs once: a late signal must never start a second delivery.
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    args,
    typedSearchAttributes: [
      { key: StoreIdAttribute, value: String(invoice.store_id) },
      { key: StatusAttribute, value: invoice.status },
      { key: NeedsAttentionAttribute, value: false },
    ],
  };
}

/** A start, or a signal-with-start, for an order already started (or ended) has nothing left to change. */
async function ignoreEnded(signalling: Promise<unknown>): Promise<void> {
  try {
    await signalling;
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}

/**
 * The API's side of the order workflow. An order's workflow starts with its payment
 * (signal-with-start) or its crypto checkout; an unpaid invoice has none.
 */
export class OrderWorkflows {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  /** Starts the order once: an order already started (or ended) is left as it is. */
  async start(invoice: OrderRef): Promise<void> {
    await ignoreEnded(startWorkflow(this.client, 'order', startOptions(invoice, this.taskQueue)));
  }

  async paymentReceived(invoice: OrderRef, source: string): Promise<void> {
    await ignoreEnded(
      signalWithStartWorkflow(this.client, 'order', {
        ...startOptions(invoice, this.taskQueue),
        signal: paymentReceivedSignal,
        signalArgs: [{ source }],
      }),
    );
  }

  /**
   * The database has voided the invoice; a running order (paid, crypto confirming, or started
   * before unpaid invoices went without one) hears it. An invoice never paid has no workflow,
   * and none is started just to end.
   */
  async voidRequested(invoice: OrderRef): Promise<void> {
    try {
      await this.client.workflow.getHandle(workflowIds.order(invoice.id)).signal(voidRequestedSignal);
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
  }

  /**
   * The database has refunded the order whole, opened its dispute or settled it; a running order
   * (delivering, or waiting on a failed step) hears it. One already over has nothing to stop.
   */
  async saleChanged(invoice: OrderRef, status: string): Promise<void> {
    try {
      await this.client.workflow.getHandle(workflowIds.order(invoice.id)).signal(saleChangedSignal, { status });
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
  }

  /**
   * A fulfillment Update, decided by the running order itself: its answer, a
   * FulfillmentRefusedError when its validator says no, or null when no order workflow runs
   * (never started, or already over) to ask.
   */
  async fulfillment<Ret, Args extends [unknown]>(
    invoice: { id: number },
    update: UpdateDefinition<Ret, Args>,
    ...args: Args
  ): Promise<Ret | null> {
    try {
      return await this.client.workflow.getHandle(workflowIds.order(invoice.id)).executeUpdate(update, { args });
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return null;
      const cause = error instanceof WorkflowUpdateFailedError ? error.cause : undefined;
      if (cause instanceof ApplicationFailure && cause.type === FULFILLMENT_REFUSED)
        throw new FulfillmentRefusedError(cause.details?.[0] as FulfillmentRefusal, cause.message);
      throw error;
    }
  }

  /** Orders of a store that visibility says need attention (eventually consistent). */
  async stuckWorkflowIds(storeId: number): Promise<string[]> {
    const ids: string[] = [];
    const query = `WorkflowType = 'order' AND ExecutionStatus = 'Running' AND ${StoreIdAttribute.name} = '${storeId}' AND ${NeedsAttentionAttribute.name} = true`;
    for await (const execution of this.client.workflow.list({ query })) ids.push(execution.workflowId);
    return ids;
  }
}
