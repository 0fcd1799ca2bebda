import type Stripe from 'stripe';
import type { DisputeStatus } from '../db/schema';
import type { DbExecutor } from '../db/schema';
import { applyDispute, type DisputedInvoice, type ReportedDispute } from './apply-dispute';

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

/** Stripe's dispute event as the report our dispute rules read (the order's, or a renewal's). */
export function reportedStripeDispute(event: Stripe.Event, dispute: Stripe.Dispute): ReportedDispute & { provider: 'stripe' } {
  return {
    provider: 'stripe',
    providerDisputeId: dispute.id,
    status: disputeStatusOf(dispute.status),
    providerStatus: dispute.status ?? 'needs_response',
    amountCents: dispute.amount ?? null,
    currency: dispute.currency ?? null,
    reason: dispute.reason ?? null,
    opened: event.type === 'charge.dispute.created',
    // Inquiries closed and disputes prevented withdraw nothing: money moved only if Stripe's balance says so.
    fundsMoved: (dispute.balance_transactions ?? []).reduce((sum, t) => sum + t.amount, 0) < 0,
  };
}

/** Keeps the dispute's row in step with Stripe's `charge.dispute.*` events and moves its order (apply-dispute.ts). */
export async function applyStripeDispute(trx: DbExecutor, event: Stripe.Event, dispute: Stripe.Dispute, invoice: DisputedInvoice) {
  return applyDispute(trx, invoice, reportedStripeDispute(event, dispute));
}
