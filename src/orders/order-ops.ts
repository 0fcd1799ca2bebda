import type { StepKind } from '../temporal/contracts/order';
import { commitAndTell, deliverIntents, type EngineConnection, type UnheardIntent, unheardOrders } from '../outbox/engine-intents';
import { InvoiceStatusConflictError } from './errors';
import { transitionInvoice } from './invoice-transitions';
import { OrderWorkflows, type OrderRef } from './order-workflow-client';

/** An order as ops actions need it. */
export interface StuckOrderRef extends OrderRef {
  needs_attention: boolean;
}

/** Why an ops action did nothing: the order is not waiting on a failed step, or no delivery is waiting at all. */
export interface OpsRefusal {
  refused: 'not_stuck' | 'needs_manual_action';
  message: string;
}

/**
 * Ops retry / skip of an order waiting on a failed step (all its failed steps, or the named
 * ones). An order whose news the engine never heard (a crash, Temporal away) is retried by
 * telling the engine now. The API route and the ops console both act through here.
 */
export async function retryOrSkipSteps(
  engine: EngineConnection,
  action: 'retry' | 'skip',
  invoice: StuckOrderRef,
  kinds?: StepKind[],
): Promise<{ done: 'engine_told' | 'signalled' } | OpsRefusal> {
  const unheard = (await unheardOrders(engine.db, invoice.store_id)).filter((u) => u.invoice_id === invoice.id);
  if (action === 'retry' && unheard.length > 0) {
    await deliverIntents(engine, { ids: unheard.map((u) => u.id) });
    return { done: 'engine_told' };
  }
  if (!invoice.needs_attention)
    return { refused: 'not_stuck', message: `Invoice ${invoice.id} has no failed delivery step (status ${invoice.status})` };
  // E.g. money that arrived after a void: no delivery is waiting, a person decides.
  if (invoice.status !== 'PAID')
    return {
      refused: 'needs_manual_action',
      message: `Invoice ${invoice.id} is ${invoice.status}: refund it or mark it completed by hand`,
    };
  await new OrderWorkflows(engine.client, engine.taskQueue)[action](invoice, kinds);
  return { done: 'signalled' };
}

/** Voids an unpaid invoice, or a paid order while its delivery is stuck (never a delivered one); the order workflow hears of it. */
export async function voidOrder(engine: EngineConnection, invoice: StuckOrderRef): Promise<void> {
  if (invoice.status === 'PAID' && !invoice.needs_attention) throw new InvoiceStatusConflictError('PAID', 'VOIDED');
  await commitAndTell(engine, async (trx) => {
    const result = await transitionInvoice(trx, invoice.id, 'VOIDED');
    return { value: result, intents: result.changed ? [{ kind: 'order.void_requested', subjectId: invoice.id }] : [] };
  });
}

/** What ops sees of a store's orders that need attention: flagged, unheard by the engine, and what Temporal's visibility says. */
export interface StuckOrders {
  /** Flagged and unheard orders together, oldest first. */
  ids: number[];
  unheard: UnheardIntent[];
  /** The workflows visibility lists as stuck; null with the error while Temporal cannot answer. */
  temporal: { workflow_ids: string[] | null; error?: string };
}

export async function stuckOrders(engine: EngineConnection, storeId: number): Promise<StuckOrders> {
  const flagged = (
    await engine.db
      .selectFrom('invoices')
      .select('id')
      .where('store_id', '=', storeId)
      .where('needs_attention', '=', true)
      .orderBy('id')
      .execute()
  ).map((r) => r.id);
  const unheard = await unheardOrders(engine.db, storeId);
  const ids = [...new Set([...flagged, ...unheard.map((u) => u.invoice_id)])].sort((a, b) => a - b);
  let temporal: StuckOrders['temporal'];
  try {
    temporal = { workflow_ids: await new OrderWorkflows(engine.client, engine.taskQueue).stuckWorkflowIds(storeId) };
  } catch (error) {
    temporal = { workflow_ids: null, error: error instanceof Error ? error.message : String(error) };
  }
  return { ids, unheard, temporal };
}
