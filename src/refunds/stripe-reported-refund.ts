import type Stripe from 'stripe';
import type { DbExecutor } from '../db/schema';
import { refundedCents } from './request-refund';

/**
 * A `charge.refunded` report: the part of Stripe's running total that no refund of ours accounts
 * for (one made in the Stripe dashboard) is recorded as a refund, and returned for the caller to
 * act on; 0 when the money went back through our own refunds (their workflows take it from there).
 */
export async function recordStripeReportedRefund(
  trx: DbExecutor,
  invoice: { id: number; store_id: number; livemode: boolean; currency: string },
  charge: Stripe.Charge,
  paymentIntent: string | null,
): Promise<number> {
  const extra = charge.amount_refunded - (await refundedCents(trx, invoice.id));
  if (extra <= 0) return 0;
  const now = new Date();
  await trx
    .insertInto('refunds')
    .values({
      store_id: invoice.store_id,
      livemode: invoice.livemode,
      invoice_id: invoice.id,
      source: 'stripe',
      provider: 'stripe',
      manual: false,
      amount_cents: extra,
      currency: invoice.currency,
      reason: null,
      line_ids: '[]',
      status: 'succeeded',
      provider_payment_id: paymentIntent,
      provider_refund_id: charge.refunds?.data?.[0]?.id ?? null,
      failure_reason: null,
      request_key: null,
      // What a dashboard refund sets off runs with the event itself (stripe-events.ts).
      consequences_at: now,
    })
    .execute();
  return extra;
}
