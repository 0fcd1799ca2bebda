import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';
import { type InvoiceStatus, isAwaitingPayment } from '../domain/invoice-status';
import { matchPayment } from '../domain/payment-match';
import type { PaypalMode } from '../gateways/paypal/client';
import type { PaypalCapture } from '../gateways/paypal/paypal-gateway';
import type { EngineIntent } from '../outbox/record-intent';
import type { PaypalCaptureOutcome } from '../temporal/contracts/paypal-capture';
import { transitionInvoice } from './invoice-transitions';
import { recordEvent } from '../events/record';
import { flagInvoiceForAttention } from './invoice-attention';
import { flagPaymentIssue } from './payment-attention';
import { type PaypalGatewayRecord, paypalOrdersOf } from './paypal-order-record';

/** Where a capture's news came from: our capture call, or PayPal's webhook event. */
export interface CaptureReport {
  /** The mode of the REST app that reported it (the webhook's app, or the one we captured with). */
  mode: PaypalMode;
  orderId: string | null;
  eventId: string;
  eventType: string;
}

export interface AppliedCapture {
  result: PaypalCaptureOutcome;
  reason: string | null;
  /** What the engine must hear (the order's payment, a void), for the caller to record. */
  intents: EngineIntent[];
}

/** The mismatches that say only that the invoice no longer waits for money. */
const NO_LONGER_WAITING = new Set(['invoice_voided', 'already_paid', 'not_payable']);

const INVOICE = ['id', 'store_id', 'livemode', 'currency', 'total_cents', 'status', 'gateway'] as const;

/** Marks the capture on the invoice's gateway record: what the invoice view shows, and what matching reads. */
async function recordCapture(trx: DbExecutor, invoiceId: number, capture: PaypalCapture, paid: boolean): Promise<void> {
  const data = JSON.stringify({ transaction_id: capture.id, capture_status: capture.status, pending_reason: capture.reason });
  await trx
    .updateTable('invoices')
    .set({
      gateway: paid
        ? sql`gateway || jsonb_build_object('data', coalesce(gateway->'data', '{}'::jsonb) || ${data}::jsonb, 'paid_by', ${capture.id}::text)`
        : sql`gateway || jsonb_build_object('data', coalesce(gateway->'data', '{}'::jsonb) || ${data}::jsonb)`,
      updated_at: new Date(),
    })
    .where('id', '=', invoiceId)
    .execute();
}

const PENDING_ATTENTION = 'PayPal holds capture';

/**
 * PayPal holds the capture (a currency the seller's account does not hold, a review): the seller
 * may have to act in PayPal, so the order is flagged with the reason (ops stuck lists) and
 * `order.pending` goes out, as for a custom method's order waiting for its payment.
 */
async function announcePending(
  trx: DbExecutor,
  invoice: { id: number; store_id: number; livemode: boolean },
  capture: PaypalCapture,
): Promise<void> {
  const reason = capture.reason ?? 'PENDING';
  await recordEvent(trx, {
    storeId: invoice.store_id,
    livemode: invoice.livemode,
    type: 'order.pending',
    data: { id: invoice.id, payment_method: 'PAYPAL', pending_reason: reason },
  });
  await flagInvoiceForAttention(trx, invoice.id, `${PENDING_ATTENTION} ${capture.id} pending: ${reason}`);
}

/** PayPal decided the capture it held: the flag its holding raised is down (any other reason stays). */
async function clearPendingAttention(trx: DbExecutor, invoiceId: number): Promise<void> {
  await trx
    .updateTable('invoices')
    .set({ needs_attention: false, attention_reason: null })
    .where('id', '=', invoiceId)
    .where('attention_reason', 'like', `${PENDING_ATTENTION} %`)
    .execute();
}

/**
 * Applies what PayPal says of an invoice's capture, under the invoice's row lock, whoever says it
 * first (our capture call, PAYMENT.CAPTURE.* events, their redeliveries): COMPLETED pays the
 * invoice once it matches (mode, our order, currency, amount); PENDING leaves it PENDING with
 * PayPal's reason shown (a currency the seller's account does not hold, a hold) until PayPal
 * completes or denies it; DECLINED or FAILED voids an invoice still waiting for its money. The
 * capture that paid it, reported again, changes nothing.
 */
export async function applyPaypalCapture(
  trx: DbExecutor,
  invoiceId: number,
  capture: PaypalCapture,
  report: CaptureReport,
): Promise<AppliedCapture> {
  const invoice = await trx.selectFrom('invoices').select(INVOICE).where('id', '=', invoiceId).forUpdate().executeTakeFirstOrThrow();
  const status = invoice.status as InvoiceStatus;
  const paidBy = (invoice.gateway as PaypalGatewayRecord | null)?.paid_by ?? null;
  const ours = report.orderId !== null && paypalOrdersOf(invoice.gateway).includes(report.orderId);
  const arrived = {
    livemode: report.mode === 'live',
    ours,
    reference: capture.id,
    source: `PayPal capture ${capture.id}${report.orderId ? ` of order ${report.orderId}` : ''}`,
    currency: capture.currency,
    amountCents: capture.amountMinor,
  };
  const issue = {
    gateway: 'paypal',
    eventId: report.eventId,
    eventType: report.eventType,
    livemode: arrived.livemode,
    reference: arrived.source,
    amountCents: arrived.amountCents,
    currency: arrived.currency,
  };

  if (capture.status === 'PENDING' || capture.status === 'DECLINED' || capture.status === 'FAILED') {
    if (paidBy !== null) return { result: 'same_payment', reason: null, intents: [] };
    // Only our own order's capture, of the invoice's mode, may hold or void it.
    const verdict = matchPayment(
      { livemode: invoice.livemode, currency: invoice.currency, totalCents: invoice.total_cents, status, paidBy },
      arrived,
    );
    // A denied capture took no money: an invoice no longer waiting for it has nothing to flag.
    if (
      verdict.kind === 'mismatch' &&
      verdict.code !== 'not_payable' &&
      !(capture.status !== 'PENDING' && NO_LONGER_WAITING.has(verdict.code))
    ) {
      await flagPaymentIssue(trx, invoice.id, { ...issue, code: verdict.code, reason: verdict.reason });
      return { result: 'mismatch', reason: verdict.reason, intents: [] };
    }
    if (!isAwaitingPayment(status)) return { result: 'ignored', reason: `the invoice is ${status}`, intents: [] };
    const known = (invoice.gateway as PaypalGatewayRecord | null)?.data;
    await recordCapture(trx, invoice.id, capture, false);
    if (capture.status === 'PENDING') {
      // Told once per capture (our capture's answer, its webhook and our checks all report it).
      if (known?.transaction_id !== capture.id || known.capture_status !== 'PENDING') await announcePending(trx, invoice, capture);
      return { result: 'pending', reason: capture.reason ?? 'PENDING', intents: [] };
    }
    await clearPendingAttention(trx, invoice.id);
    const voided = await transitionInvoice(trx, invoice.id, 'VOIDED', { quiet: true });
    return {
      result: 'denied',
      reason: `PayPal ${capture.status.toLowerCase()} the capture`,
      intents: voided.changed ? [{ kind: 'order.void_requested', subjectId: invoice.id }] : [],
    };
  }
  if (capture.status !== 'COMPLETED') return { result: 'ignored', reason: `capture ${capture.status}`, intents: [] };

  const verdict = matchPayment(
    { livemode: invoice.livemode, currency: invoice.currency, totalCents: invoice.total_cents, status, paidBy },
    arrived,
  );
  const paid = { kind: 'order.payment_received' as const, subjectId: invoice.id, detail: { source: `paypal:${report.eventId}` } };
  switch (verdict.kind) {
    case 'pay': {
      await recordCapture(trx, invoice.id, capture, true);
      await clearPendingAttention(trx, invoice.id);
      const moved = await transitionInvoice(trx, invoice.id, 'PAID', { event: 'order.paid', quiet: true, also: { paid_at: new Date() } });
      return { result: 'paid', reason: null, intents: moved.status === 'PAID' ? [paid] : [] };
    }
    case 'same_payment':
      // The capture that paid it, reported again: the order hears of it again, harmlessly.
      return { result: 'same_payment', reason: null, intents: status === 'PAID' ? [paid] : [] };
    case 'partial':
      await transitionInvoice(trx, invoice.id, 'PARTIAL', { quiet: true });
      await flagPaymentIssue(trx, invoice.id, { ...issue, code: verdict.code, reason: verdict.reason });
      return { result: 'partial', reason: verdict.reason, intents: [] };
    case 'mismatch':
      await flagPaymentIssue(trx, invoice.id, { ...issue, code: verdict.code, reason: verdict.reason });
      return { result: 'mismatch', reason: verdict.reason, intents: [] };
  }
}
