import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { RefundActivities } from '../activities/refunds';
import type { RefundInput, RefundOutcome } from '../src/temporal/contracts/refund';

/**
 * The gateway call: a slow Stripe is retried with the same idempotency key (a reply lost after
 * Stripe refunded answers that refund); a refusal is final.
 */
const gateway = proxyActivities<RefundActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 25 },
});
const record = proxyActivities<RefundActivities>({ startToCloseTimeout: '30 seconds' });

/**
 * One refund: the gateway (or the seller, by hand), then what the refund takes back, once. A
 * refund Stripe answers `pending` ends here `pending`: the consequences activity finds it pending
 * and leaves it, and Stripe's refund.updated event runs them (src/refunds/stripe-refund-update.ts).
 */
export async function refund(input: RefundInput): Promise<RefundOutcome> {
  let outcome: RefundOutcome;
  try {
    outcome = await gateway.sendRefund(input);
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    await record.refundFailed({ refundId: input.refundId, reason: error.cause?.message ?? error.message });
    return 'failed';
  }
  if (outcome === 'failed') return outcome;
  await record.applyRefundConsequences(input);
  return outcome;
}
