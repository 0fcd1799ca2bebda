import { randomUUID } from 'node:crypto';
import { isAwaitingPayment, type InvoiceStatus } from '../domain/invoice-status';
import {
  type FulfillmentNoticeRequest,
  type FulfillmentNoticeSent,
  retryDynamicDeliveryUpdate,
  retryFulfillmentUpdate,
  sendFulfillmentNoticesUpdate,
  skipFulfillmentUpdate,
  type StepActionAccepted,
  type StepSelection,
} from '../temporal/contracts/order';
import { commitAndTell, deliverIntents, type EngineConnection, type UnheardIntent, unheardOrders } from '../outbox/engine-intents';
import { FulfillmentRefusedError, InvoiceStatusConflictError } from './errors';
import { sendFulfillmentNotices } from './fulfillment-notices';
import { transitionInvoice } from './invoice-transitions';
import { OrderWorkflows, type OrderRef } from './order-workflow-client';
import { refuseWhileCapturing } from './paypal-capture-claim';

/** An order as ops actions need it. */
export interface StuckOrderRef extends OrderRef {
  needs_attention: boolean;
}

/**
 * Why no running order took the action: its workflow is over (delivered, voided) or never
 * started (unpaid), read from the invoice as it is now (the workflow may have just ended).
 */
async function refusalOfClosedOrder(engine: EngineConnection, invoiceId: number): Promise<FulfillmentRefusedError> {
  const invoice = await engine.db
    .selectFrom('invoices')
    .select(['status', 'needs_attention'])
    .where('id', '=', invoiceId)
    .executeTakeFirst();
  if (!invoice) return new FulfillmentRefusedError('nothing_failed', `There is no invoice ${invoiceId}`);
  const status = invoice.status as InvoiceStatus;
  if (status === 'COMPLETED')
    return new FulfillmentRefusedError('already_delivered', `Invoice ${invoiceId} has no failed delivery step: it is delivered`);
  // The sale was undone or is contested: nothing more is handed over (see README, Refunds and disputes).
  if (status === 'REFUNDED')
    return new FulfillmentRefusedError('refunded', `Invoice ${invoiceId} is refunded: nothing more is delivered`, 'status');
  if (status === 'REVERSED')
    return new FulfillmentRefusedError('reversed', `Invoice ${invoiceId} lost its dispute: nothing more is delivered`, 'status');
  if (status === 'DISPUTING')
    return new FulfillmentRefusedError(
      'disputed',
      `Invoice ${invoiceId} is disputed: nothing is delivered until the dispute is won`,
      'status',
    );
  // E.g. money that arrived after a void: no delivery is waiting, a person decides.
  if (invoice.needs_attention)
    return new FulfillmentRefusedError(
      'needs_manual_action',
      `Invoice ${invoiceId} is ${status}: refund it or mark it completed by hand`,
      'status',
    );
  if (status === 'VOIDED') return new FulfillmentRefusedError('voided', `Invoice ${invoiceId} is voided`, 'status');
  if (isAwaitingPayment(status)) return new FulfillmentRefusedError('not_paid', `Invoice ${invoiceId} is not paid yet`, 'status');
  return new FulfillmentRefusedError('nothing_failed', `Invoice ${invoiceId} has no failed delivery step (it is ${status})`, 'status');
}

/** A retry or skip asked of the order workflow: what it accepted, or why not (thrown). */
async function stepAction(
  engine: EngineConnection,
  invoiceId: number,
  ask: (workflows: OrderWorkflows) => Promise<StepActionAccepted | null>,
): Promise<StepActionAccepted> {
  const accepted = await ask(new OrderWorkflows(engine.client, engine.taskQueue));
  if (!accepted) throw await refusalOfClosedOrder(engine, invoiceId);
  return accepted;
}

/**
 * Retries the failed delivery steps (all, or the selected ones) of an order: an Update the
 * order's workflow validates against its own state (only while it waits on a failed step), so a
 * retry racing a running delivery is refused, never doubled. An order whose news the engine
 * never heard (a crash, Temporal away) is retried by telling the engine now. The API, the CLI
 * and the ops console all act through here.
 */
export async function retryFulfillment(
  engine: EngineConnection,
  invoiceId: number,
  storeId: number | undefined,
  selection: StepSelection = {},
): Promise<StepActionAccepted & { engine_told?: true }> {
  const unheard = (await unheardOrders(engine.db, storeId)).filter((u) => u.invoice_id === invoiceId);
  if (unheard.length > 0) {
    await deliverIntents(engine, { ids: unheard.map((u) => u.id) });
    return { steps: 0, engine_told: true };
  }
  return stepAction(engine, invoiceId, (w) => w.fulfillment({ id: invoiceId }, retryFulfillmentUpdate, selection));
}

/** Gives up on the failed steps (all, or the selected ones) so the order can finish; validated as a retry is. */
export function skipFulfillment(engine: EngineConnection, invoiceId: number, selection: StepSelection = {}): Promise<StepActionAccepted> {
  return stepAction(engine, invoiceId, (w) => w.fulfillment({ id: invoiceId }, skipFulfillmentUpdate, selection));
}

/** Re-runs one failed dynamic (seller webhook) delivery step of the order. */
export function retryDynamicDelivery(engine: EngineConnection, invoiceId: number, stepId: number): Promise<StepActionAccepted> {
  return stepAction(engine, invoiceId, (w) => w.fulfillment({ id: invoiceId }, retryDynamicDeliveryUpdate, { stepId }));
}

/**
 * Sends the order's notices again. A running order does it in its workflow (an Update running
 * one activity); a delivered one, whose workflow is over, through the same service here.
 * Unpaid and voided orders have nothing to announce. How many went out.
 */
export async function resendFulfillmentNotices(
  engine: EngineConnection,
  invoiceId: number,
  request: FulfillmentNoticeRequest = {},
): Promise<number> {
  if (request.productVariantIds?.length) {
    const lines = await engine.db
      .selectFrom('invoice_lines')
      .select('variant_id')
      .where('invoice_id', '=', invoiceId)
      .where('variant_id', 'in', request.productVariantIds)
      .execute();
    const missing = request.productVariantIds.filter((id) => !lines.some((l) => l.variant_id === id));
    if (missing.length > 0)
      throw new FulfillmentRefusedError(
        'no_such_line',
        `Invoice ${invoiceId} has no line of variant ${missing.join(', ')}`,
        'product_variant_ids',
      );
  }
  let sent: FulfillmentNoticeSent | null;
  try {
    sent = await new OrderWorkflows(engine.client, engine.taskQueue).fulfillment({ id: invoiceId }, sendFulfillmentNoticesUpdate, request);
  } catch (error) {
    // Delivered, its workflow still finishing (the buyer's e-mail, community grants): sent from here, as for a closed one.
    if (!(error instanceof FulfillmentRefusedError && error.refusal === 'already_delivered')) throw error;
    sent = null;
  }
  if (sent) return sent.notificationsSent;
  const refusal = await refusalOfClosedOrder(engine, invoiceId);
  if (refusal.refusal !== 'already_delivered') throw refusal;
  return sendFulfillmentNotices(engine, invoiceId, { ...request, resendKey: randomUUID() });
}

/**
 * Voids an unpaid invoice, or a paid order while its delivery is stuck (never a delivered one); the
 * order workflow hears of it. Decided on the locked row: a PayPal capture that paid it meanwhile
 * stands, and one under way refuses the void until PayPal has answered.
 */
export async function voidOrder(engine: EngineConnection, invoice: StuckOrderRef): Promise<void> {
  await commitAndTell(engine, async (trx) => {
    const row = await trx
      .selectFrom('invoices')
      .select(['status', 'needs_attention'])
      .where('id', '=', invoice.id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (row.status === 'PAID' && !row.needs_attention) throw new InvoiceStatusConflictError('PAID', 'VOIDED');
    await refuseWhileCapturing(trx, invoice.id);
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
