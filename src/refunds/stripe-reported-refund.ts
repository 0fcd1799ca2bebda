import type Stripe from 'stripe';
import type { DbExecutor } from '../db/schema';
import { recordReportedRefund } from './reported-refund';

/** A `charge.refunded` report: Stripe's running total (amount_refunded) through recordReportedRefund. */
export async function recordStripeReportedRefund(
  trx: DbExecutor,
  invoice: { id: number; store_id: number; livemode: boolean; currency: string },
  charge: Stripe.Charge,
  paymentIntent: string | null,
): Promise<number> {
  return recordReportedRefund(trx, invoice, {
    provider: 'stripe',
    totalRefundedCents: charge.amount_refunded,
    providerPaymentId: paymentIntent,
    providerRefundId: charge.refunds?.data?.[0]?.id ?? null,
  });
}
