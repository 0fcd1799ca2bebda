import { sql } from 'kysely';
import type { DbExecutor, StatusHistoryEntry } from '../db/schema';
import { chargeStatus } from '../domain/charge-status';
import { canTransition, type InvoiceStatus, isAwaitingPayment } from '../domain/invoice-status';
import type { EventType } from '../events/catalog';
import { recordEvent } from '../events/record';
import { InvoiceStatusConflictError } from './errors';
import { runTransitionConsequences } from './transition-consequences';

/**
 * A payment window closed: PENDING / PARTIAL / REVIEW → VOIDED. An invoice paid meanwhile (by
 * any path) is left as it is: PAID → VOIDED is for ops voiding a stuck order, never for a timer.
 * Nor is one whose crypto payment, made in time, is still gathering confirmations, nor a custom
 * payment in the seller's review, nor a PayPal capture PayPal holds as pending (the buyer paid).
 */
export async function expireUnpaidInvoice(trx: DbExecutor, invoiceId: number): Promise<TransitionResult> {
  const row = await trx
    .selectFrom('invoices')
    .select(['status', 'custom_payment_method_id', 'gateway'])
    .where('id', '=', invoiceId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const status = row.status as InvoiceStatus;
  if (!isAwaitingPayment(status)) return { changed: false, status };
  // The seller reviews a custom payment: only they complete or void it.
  if (status === 'REVIEW' && row.custom_payment_method_id !== null) return { changed: false, status };
  const crypto = await trx.selectFrom('crypto_payments').select('status').where('invoice_id', '=', invoiceId).executeTakeFirst();
  if (crypto?.status === 'CONFIRMING') return { changed: false, status };
  const paypal = row.gateway as { data?: { capture_status?: unknown }; capture_owed?: unknown } | null;
  // A PayPal capture owed (approved, not yet answered) or held pending by PayPal: its answer decides.
  if (paypal?.data?.capture_status === 'PENDING' || paypal?.capture_owed !== undefined) return { changed: false, status };
  return transitionInvoice(trx, invoiceId, 'VOIDED', { quiet: true });
}

/**
 * A won dispute gives the invoice back the status the dispute took (the last in its history):
 * PAID for an order still delivering or waiting for ops, whose workflow completes it once
 * delivered (order.completed, completed_at); COMPLETED for a delivered one. A won dispute never
 * completes an undelivered order. An invoice no longer DISPUTING is left as it is.
 */
export async function restoreDisputedInvoice(trx: DbExecutor, invoiceId: number): Promise<TransitionResult> {
  const row = await trx
    .selectFrom('invoices')
    .select(['status', 'status_history'])
    .where('id', '=', invoiceId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const status = row.status as InvoiceStatus;
  if (status !== 'DISPUTING') return { changed: false, status };
  const before = (row.status_history as StatusHistoryEntry[]).at(-1)?.status;
  return transitionInvoice(trx, invoiceId, before === 'PAID' ? 'PAID' : 'COMPLETED', { quiet: true, disputeWon: true });
}

export interface TransitionResult {
  changed: boolean;
  status: InvoiceStatus;
}

/**
 * Moves an invoice to `to` when the table allows it, under a row lock, appending the old
 * status to the history; what the move sets off (transition-consequences.ts) and `event`
 * are recorded in the same transaction. Asking for the
 * status it already has is a no-op (same result, one transition); a forbidden move throws
 * InvoiceStatusConflictError unless `quiet`, which just reports the current status.
 */
export async function transitionInvoice(
  trx: DbExecutor,
  invoiceId: number,
  to: InvoiceStatus,
  options: { event?: EventType; quiet?: boolean; disputeWon?: boolean; also?: { paid_at?: Date; completed_at?: Date } } = {},
): Promise<TransitionResult> {
  const invoice = await trx
    .selectFrom('invoices')
    .select(['status', 'status_set_at', 'store_id', 'livemode', 'coupon_id', 'coupon_discount_cents', 'kind'])
    .where('id', '=', invoiceId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const current = invoice.status as InvoiceStatus;
  if (current === to) return { changed: false, status: current };
  if (!canTransition(current, to, { disputeWon: options.disputeWon })) {
    if (options.quiet) return { changed: false, status: current };
    throw new InvoiceStatusConflictError(current, to);
  }
  const now = new Date();
  const previous = { status: current, setAt: invoice.status_set_at.toISOString(), updatedAt: now.toISOString() };
  await trx
    .updateTable('invoices')
    .set({
      status: to,
      status_set_at: now,
      updated_at: now,
      status_history: sql`status_history || ${JSON.stringify([previous])}::jsonb`,
      ...options.also,
    })
    .where('id', '=', invoiceId)
    .execute();
  await runTransitionConsequences({
    trx,
    invoice: { id: invoiceId, coupon_id: invoice.coupon_id, coupon_discount_cents: invoice.coupon_discount_cents },
    from: current,
    to,
    paidAt: options.also?.paid_at ?? now,
  });
  if (options.event) {
    await recordEvent(trx, {
      storeId: invoice.store_id,
      livemode: invoice.livemode,
      type: options.event,
      data: { id: invoiceId, status: to },
    });
  }
  // A charge's own status (PENDING / COMPLETED / VOIDED) moved: its seller webhook hears of it.
  if (invoice.kind === 'CHARGE' && chargeStatus(current) !== chargeStatus(to)) {
    await recordEvent(trx, {
      storeId: invoice.store_id,
      livemode: invoice.livemode,
      type: 'charge.updated',
      data: { id: invoiceId, status: chargeStatus(to) },
    });
  }
  return { changed: true, status: to };
}
