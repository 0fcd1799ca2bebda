import { sql } from 'kysely';
import type { Db, DbExecutor, DbTransaction, DisputeStatus } from '../db/schema';
import { applyDispute } from '../disputes/apply-dispute';
import { applyRenewalDispute } from '../disputes/renewal-dispute';
import { applyGatewayEventOnce } from '../gateways/gateway-event-log';
import type { PaypalMode } from '../gateways/paypal/client';
import { captureOf, disputeOf, type PaypalEvent, refundOf } from '../gateways/paypal/paypal-event-shape';
import type { EngineIntent } from '../outbox/record-intent';
import { recordIntent } from '../outbox/record-intent';
import { applyPaypalRefundReport, paypalRefundOfOurs } from '../refunds/paypal-refund-update';
import { applyDashboardRefund, recordReportedRefund } from '../refunds/reported-refund';
import { applyPaypalCapture } from './paypal-capture-result';
import { paypalApproved } from './paypal-approval';

/** What an event did: kept on its gateway_events row, with the reason when it did nothing. */
export type PaypalEventResult =
  | 'approved'
  | 'paid'
  | 'same_payment'
  | 'pending'
  | 'denied'
  | 'partial'
  | 'mismatch'
  | 'refunded'
  | 'refund_failed'
  | 'disputed'
  | 'unmatched'
  | 'ignored';

export interface PaypalEventOutcome {
  duplicate: boolean;
  invoiceId: number | null;
  /** The subscription a renewal's dispute concerns. */
  subscriptionId: number | null;
  result: PaypalEventResult | null;
  reason: string | null;
  /** Engine intents recorded with the event, for the caller to deliver after commit. */
  intents: number[];
}

const INVOICE = ['id', 'store_id', 'livemode', 'currency', 'total_cents', 'status', 'gateway'] as const;

/** The invoice whose checkout created this PayPal order. */
const invoiceOfOrder = (trx: DbExecutor, storeId: number, orderId: string) =>
  trx
    .selectFrom('invoices')
    .select(INVOICE)
    .where('store_id', '=', storeId)
    .where(sql<boolean>`gateway->'paypal_orders' @> ${JSON.stringify([orderId])}::jsonb`)
    .orderBy('id')
    .executeTakeFirst();

/** The invoice a PayPal capture paid (refunds and disputes name the capture). */
const invoiceOfCapture = (trx: DbExecutor, storeId: number, captureId: string) =>
  trx
    .selectFrom('invoices')
    .select(INVOICE)
    .where('store_id', '=', storeId)
    .where(sql<string>`gateway->>'type'`, '=', 'PAYPAL')
    .where(sql<string>`gateway->'data'->>'transaction_id'`, '=', captureId)
    .executeTakeFirst();

/** The invoice an id names (a capture's custom_id): only for flagging, never believed for paying. */
const invoiceNamed = (trx: DbExecutor, storeId: number, id: string | null) => {
  if (!id || !/^\d{1,10}$/.test(id) || Number(id) > 2_147_483_647) return undefined;
  return trx.selectFrom('invoices').select(INVOICE).where('id', '=', Number(id)).where('store_id', '=', storeId).executeTakeFirst();
};

type InvoiceRow = NonNullable<Awaited<ReturnType<typeof invoiceOfOrder>>>;

const modeName = (livemode: boolean) => (livemode ? 'live' : 'sandbox');

/** An event of the other mode's app never touches the invoice (the trust boundary between live and test). */
function otherMode(invoice: InvoiceRow, mode: PaypalMode, event: PaypalEvent, outcome: PaypalEventOutcome): boolean {
  if (modeName(invoice.livemode) === mode) return false;
  outcome.result = 'ignored';
  outcome.reason = `a ${mode} ${event.eventType} for a ${modeName(invoice.livemode)} invoice`;
  return true;
}

/** PayPal's dispute states in the spec's words. */
function disputeStatusOf(status: string, outcome: string | null): DisputeStatus {
  if (status === 'RESOLVED') {
    if (outcome === 'RESOLVED_SELLER_FAVOUR' || outcome === 'CANCELED_BY_BUYER' || outcome === 'DENIED') return 'won';
    if (outcome === 'RESOLVED_BUYER_FAVOUR') return 'lost';
    return 'closed';
  }
  return status === 'UNDER_REVIEW' ? 'under_review' : 'open';
}

async function applyEvent(trx: DbTransaction, storeId: number, mode: PaypalMode, event: PaypalEvent, outcome: PaypalEventOutcome) {
  const intents: EngineIntent[] = [];
  const type = event.eventType;
  if (type === 'CHECKOUT.ORDER.APPROVED') {
    const orderId = typeof event.resource.id === 'string' ? event.resource.id : '';
    const found = await invoiceOfOrder(trx, storeId, orderId);
    if (!found) return void (outcome.result = 'unmatched');
    outcome.invoiceId = found.id;
    if (otherMode(found, mode, event, outcome)) return intents;
    // Under the row lock, as the buyer's return records it: a reminder deciding meanwhile sees the approval or sends first.
    const invoice = await trx.selectFrom('invoices').select(INVOICE).where('id', '=', found.id).forUpdate().executeTakeFirstOrThrow();
    const approved = await paypalApproved(trx, invoice, orderId);
    outcome.result = approved.intent ? 'approved' : 'ignored';
    outcome.reason = approved.reason;
    if (approved.intent) intents.push(approved.intent);
    return intents;
  }
  if (type.startsWith('PAYMENT.CAPTURE.') && type !== 'PAYMENT.CAPTURE.REFUNDED' && type !== 'PAYMENT.CAPTURE.REVERSED') {
    const found = captureOf(event.resource);
    if (!found) return void Object.assign(outcome, { result: 'ignored', reason: 'not a capture' });
    const invoice =
      (found.orderId ? await invoiceOfOrder(trx, storeId, found.orderId) : undefined) ??
      (await invoiceNamed(trx, storeId, found.capture.customId));
    if (!invoice) return void (outcome.result = 'unmatched');
    outcome.invoiceId = invoice.id;
    // Matched by our order, mode, currency and amount inside (a named invoice whose order it is not is flagged).
    const applied = await applyPaypalCapture(trx, invoice.id, found.capture, {
      mode,
      orderId: found.orderId,
      eventId: event.id,
      eventType: type,
    });
    outcome.result = applied.result;
    outcome.reason = applied.reason;
    return applied.intents;
  }
  if (type === 'PAYMENT.CAPTURE.REFUNDED' || type === 'PAYMENT.CAPTURE.REVERSED') {
    const refund = refundOf(event.resource);
    const invoice = refund?.captureId ? await invoiceOfCapture(trx, storeId, refund.captureId) : undefined;
    if (!refund || !invoice) return void (outcome.result = 'unmatched');
    outcome.invoiceId = invoice.id;
    if (otherMode(invoice, mode, event, outcome)) return intents;
    const ours = await paypalRefundOfOurs(trx, invoice.id, refund);
    // Status absent: the event's type says the money went back.
    const report = { refundId: refund.refundId, status: refund.status ?? 'COMPLETED', reason: refund.reason };
    const settled = ours ? await applyPaypalRefundReport(trx, ours, report) : null;
    if (settled && report.status !== 'COMPLETED') {
      // A refund of ours still pending or failed adds nothing to what PayPal gave back.
      Object.assign(outcome, settled);
      return intents;
    }
    outcome.result = 'refunded';
    const total = refund.currency === invoice.currency ? refund.totalMinor : null;
    if (total === null)
      return void (outcome.reason = `refunded in ${refund.currency ?? 'an unknown currency'}, the order is in ${invoice.currency}`);
    const reported = {
      provider: 'paypal',
      totalRefundedCents: total,
      providerPaymentId: refund.captureId,
      providerRefundId: refund.refundId,
    };
    if ((await recordReportedRefund(trx, invoice, reported)) === 0) {
      if (settled?.result !== 'refunded') outcome.reason = 'the refunds made through Sellflow account for it';
      return intents;
    }
    await applyDashboardRefund(trx, invoice, { totalRefundedCents: total, currency: invoice.currency, full: total >= invoice.total_cents });
    return intents;
  }
  if (type.startsWith('CUSTOMER.DISPUTE.')) {
    const dispute = disputeOf(event.resource);
    if (!dispute?.captureId) return void (outcome.result = 'unmatched');
    const reported = {
      provider: 'paypal' as const,
      providerDisputeId: dispute.disputeId,
      status: disputeStatusOf(dispute.status, dispute.outcome),
      providerStatus: dispute.status,
      amountCents: dispute.amountMinor,
      currency: dispute.currency,
      reason: dispute.reason,
      opened: type === 'CUSTOMER.DISPUTE.CREATED',
      fundsMoved: dispute.fundsMoved,
    };
    const invoice = await invoiceOfCapture(trx, storeId, dispute.captureId);
    if (!invoice) {
      // Only a subscription's first sale is its order's capture: a renewal's sale is its payment's.
      const renewal = await applyRenewalDispute(trx, storeId, mode === 'live', [dispute.captureId], reported);
      if (!renewal.matched) return void (outcome.result = 'unmatched');
      outcome.invoiceId = renewal.invoiceId;
      outcome.subscriptionId = renewal.subscriptionId;
      outcome.result = renewal.livemode === (mode === 'live') ? 'disputed' : 'ignored';
      outcome.reason = renewal.reason;
      return intents;
    }
    outcome.invoiceId = invoice.id;
    if (otherMode(invoice, mode, event, outcome)) return intents;
    outcome.result = 'disputed';
    await applyDispute(trx, invoice, {
      ...reported,
      amountCents: dispute.currency === invoice.currency ? dispute.amountMinor : null,
      currency: invoice.currency,
    });
    return intents;
  }
  outcome.result = 'ignored';
  return intents;
}

/**
 * Applies one verified PayPal event, once: the event id is recorded with what it did, so a
 * redelivery changes nothing. An approval starts the capture (once per invoice, whoever comes
 * first: this or the buyer's return); a capture's news pays, holds or voids the invoice once it
 * matches; a refund of ours PayPal answered pending is settled, one made in PayPal is recorded; a
 * dispute moves the order.
 */
export async function applyPaypalEvent(db: Db, storeId: number, mode: PaypalMode, event: PaypalEvent): Promise<PaypalEventOutcome> {
  return db.transaction().execute(async (trx) => {
    const outcome: PaypalEventOutcome = {
      duplicate: false,
      invoiceId: null,
      subscriptionId: null,
      result: null,
      reason: null,
      intents: [],
    };
    const once = await applyGatewayEventOnce(trx, { provider: 'paypal', eventId: event.id, storeId, type: event.eventType }, async () => {
      const intents = (await applyEvent(trx, storeId, mode, event, outcome)) ?? [];
      for (const intent of intents) outcome.intents.push(await recordIntent(trx, intent));
      return { invoiceId: outcome.invoiceId, subscriptionId: outcome.subscriptionId, outcome: outcome.result, reason: outcome.reason };
    });
    if (!once.duplicate) return outcome;
    const { logged } = once;
    return {
      ...outcome,
      duplicate: true,
      invoiceId: logged.invoiceId,
      subscriptionId: logged.subscriptionId,
      result: logged.outcome as PaypalEventResult | null,
      reason: logged.reason,
    };
  });
}
