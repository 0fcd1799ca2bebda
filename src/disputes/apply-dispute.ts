import { randomUUID } from 'node:crypto';
import type { DbExecutor, DisputeStatus } from '../db/schema';
import { recordEvent } from '../events/record';
import { restoreDisputedInvoice, transitionInvoice } from '../orders/invoice-transitions';

export interface DisputedInvoice {
  id: number;
  store_id: number;
  livemode: boolean;
  total_cents: number;
  currency: string;
}

/** A gateway's dispute in our words (Stripe's charge.dispute.*, PayPal's CUSTOMER.DISPUTE.*). */
export interface ReportedDispute {
  provider: string;
  providerDisputeId: string;
  status: DisputeStatus;
  /** The gateway's own status word, kept as it said it. */
  providerStatus: string;
  /** Minor units; null: the order's total. */
  amountCents: number | null;
  currency: string | null;
  reason: string | null;
  /** The event says the dispute was just opened. */
  opened: boolean;
  /**
   * A dispute `closed` neither won nor lost (Stripe's warning_closed, prevented; PayPal's other
   * outcomes): whether money went to the buyer. No: it settles as won; yes: as lost.
   */
  fundsMoved?: boolean;
}

/** How a dispute's status settles its order: a close where no money moved gives back, one where it moved takes back. */
export function settlementOf(dispute: Pick<ReportedDispute, 'status' | 'fundsMoved'>): DisputeStatus {
  if (dispute.status !== 'closed') return dispute.status;
  return dispute.fundsMoved ? 'lost' : 'won';
}

/** The dispute's row kept in step with the gateway's news (one per provider dispute id), with what it said before. */
export async function upsertDisputeRow(trx: DbExecutor, invoice: DisputedInvoice, dispute: ReportedDispute) {
  const { status } = dispute;
  const now = new Date();
  const closed = status === 'won' || status === 'lost' || status === 'closed';
  const amount = dispute.amountCents ?? invoice.total_cents;
  const before = await trx
    .selectFrom('disputes')
    .select('status')
    .where('provider', '=', dispute.provider)
    .where('provider_dispute_id', '=', dispute.providerDisputeId)
    .executeTakeFirst();
  const row = await trx
    .insertInto('disputes')
    .values({
      id: randomUUID(),
      store_id: invoice.store_id,
      livemode: invoice.livemode,
      invoice_id: invoice.id,
      provider: dispute.provider,
      provider_dispute_id: dispute.providerDisputeId,
      amount_cents: amount,
      currency: (dispute.currency ?? invoice.currency).toUpperCase(),
      status,
      provider_status: dispute.providerStatus,
      reason: dispute.reason,
      closed_at: closed ? now : null,
    })
    .onConflict((oc) =>
      oc.constraint('disputes_provider_dispute_uq').doUpdateSet({
        status,
        provider_status: dispute.providerStatus,
        amount_cents: amount,
        reason: dispute.reason,
        closed_at: closed ? now : null,
        updated_at: now,
      }),
    )
    .returning(['id', 'status'])
    .executeTakeFirstOrThrow();
  return { row, amount, previousStatus: before?.status ?? null };
}

/**
 * Keeps the dispute's row in step with the gateway's events and moves its order:
 * opened → DISPUTING (commission held back, community access revoked, the customer blacklisted
 * when the store says so); lost → REVERSED, the same consequences as a full refund (license
 * keys disabled, a subscription ended); won → the status the dispute took (COMPLETED, or PAID for
 * an order still delivering: its workflow completes it), which gives back what the dispute took
 * (the commission, when not paid out meanwhile; the community access, as new grants); closed
 * otherwise (no winner named) → as won when no money moved, else as lost (`settlementOf`).
 * A redelivered or late event changes nothing twice:
 * the invoice transitions refuse a move already made.
 */
export async function applyDispute(trx: DbExecutor, invoice: DisputedInvoice, dispute: ReportedDispute) {
  const { status } = dispute;
  const { row, amount } = await upsertDisputeRow(trx, invoice, dispute);

  const disputeEvent = (data: object) =>
    recordEvent(trx, { storeId: invoice.store_id, livemode: invoice.livemode, type: 'order.disputed', data: { id: invoice.id, ...data } });
  const about = { dispute_id: row.id, provider_dispute_id: dispute.providerDisputeId, amount };
  if (dispute.opened) {
    const opened = await transitionInvoice(trx, invoice.id, 'DISPUTING', { quiet: true });
    if (opened.changed) await disputeEvent({ status: 'DISPUTING', dispute_status: status, ...about });
  }
  const settled = settlementOf(dispute);
  if (settled === 'lost') {
    // A dispute the gateway never told us was opened is still lost: the order passes through DISPUTING.
    await transitionInvoice(trx, invoice.id, 'DISPUTING', { quiet: true });
    const reversed = await transitionInvoice(trx, invoice.id, 'REVERSED', { quiet: true });
    if (reversed.changed) await disputeEvent({ status: 'REVERSED', dispute_status: status, ...about });
  } else if (settled === 'won') {
    const restored = await restoreDisputedInvoice(trx, invoice.id);
    if (restored.changed) await disputeEvent({ status: restored.status, dispute_status: status, ...about });
  }
  return row;
}
