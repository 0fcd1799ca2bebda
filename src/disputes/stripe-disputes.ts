import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import type { DbExecutor, DisputeStatus } from '../db/schema';
import { recordEvent } from '../events/record';
import { transitionInvoice } from '../orders/invoice-transitions';

/** Stripe's dispute statuses in the spec's words. */
export function disputeStatusOf(stripeStatus: string | null | undefined): DisputeStatus {
  switch (stripeStatus) {
    case 'won':
      return 'won';
    case 'lost':
      return 'lost';
    case 'under_review':
    case 'warning_under_review':
      return 'under_review';
    case 'warning_closed':
    case 'prevented':
      return 'closed';
    default:
      return 'open';
  }
}

const statusOf = async (trx: DbExecutor, invoiceId: number) =>
  (await trx.selectFrom('invoices').select('status').where('id', '=', invoiceId).executeTakeFirstOrThrow()).status;

interface DisputedInvoice {
  id: number;
  store_id: number;
  livemode: boolean;
  total_cents: number;
  currency: string;
}

/**
 * Keeps the dispute's row in step with Stripe's `charge.dispute.*` events and moves its order:
 * opened → DISPUTING (commission held back, community access revoked, the customer blacklisted
 * when the store says so); lost → REVERSED, the same consequences as a full refund (license
 * keys disabled, a subscription ended); won → COMPLETED, which gives back what the dispute took
 * (the commission, when not paid out meanwhile; the community access, as new grants). A redelivered or late event changes nothing twice:
 * the invoice transitions refuse a move already made.
 */
export async function applyStripeDispute(trx: DbExecutor, event: Stripe.Event, dispute: Stripe.Dispute, invoice: DisputedInvoice) {
  const status = disputeStatusOf(dispute.status);
  const now = new Date();
  const closed = status === 'won' || status === 'lost' || status === 'closed';
  const row = await trx
    .insertInto('disputes')
    .values({
      id: randomUUID(),
      store_id: invoice.store_id,
      livemode: invoice.livemode,
      invoice_id: invoice.id,
      provider: 'stripe',
      provider_dispute_id: dispute.id,
      amount_cents: dispute.amount ?? invoice.total_cents,
      currency: (dispute.currency ?? invoice.currency).toUpperCase(),
      status,
      provider_status: dispute.status ?? 'needs_response',
      reason: dispute.reason ?? null,
      closed_at: closed ? now : null,
    })
    .onConflict((oc) =>
      oc.constraint('disputes_provider_dispute_uq').doUpdateSet({
        status,
        provider_status: dispute.status ?? 'needs_response',
        amount_cents: dispute.amount ?? invoice.total_cents,
        reason: dispute.reason ?? null,
        closed_at: closed ? now : null,
        updated_at: now,
      }),
    )
    .returning(['id', 'status'])
    .executeTakeFirstOrThrow();

  const disputeEvent = (data: object) =>
    recordEvent(trx, { storeId: invoice.store_id, livemode: invoice.livemode, type: 'order.disputed', data: { id: invoice.id, ...data } });
  const about = { dispute_id: row.id, provider_dispute_id: dispute.id, amount: dispute.amount ?? invoice.total_cents };
  if (event.type === 'charge.dispute.created') {
    const opened = await transitionInvoice(trx, invoice.id, 'DISPUTING', { quiet: true });
    if (opened.changed) await disputeEvent({ status: 'DISPUTING', dispute_status: status, ...about });
  }
  if (status === 'lost') {
    // A dispute Stripe never told us was opened is still lost: the order passes through DISPUTING.
    await transitionInvoice(trx, invoice.id, 'DISPUTING', { quiet: true });
    const reversed = await transitionInvoice(trx, invoice.id, 'REVERSED', { quiet: true });
    if (reversed.changed) await disputeEvent({ status: 'REVERSED', dispute_status: 'lost', ...about });
  } else if (status === 'won' && (await statusOf(trx, invoice.id)) === 'DISPUTING') {
    // Only a disputed order goes back to COMPLETED: a won dispute never completes an undelivered one.
    const restored = await transitionInvoice(trx, invoice.id, 'COMPLETED', { quiet: true });
    if (restored.changed) await disputeEvent({ status: 'COMPLETED', dispute_status: 'won', ...about });
  }
  return row;
}
