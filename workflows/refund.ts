import { ActivityFailure, patched, proxyActivities, sleep } from '@temporalio/workflow';
import type { RefundActivities } from '../activities/refunds';
import type { RefundInput, RefundOutcome } from '../src/temporal/contracts/refund';

/**
 * The gateway's calls: the refund, where a slow Stripe or PayPal is retried with the same
 * idempotency key or request id (a reply lost after the refund answers that refund), a refusal
 * final; and the checks of a refund PayPal holds pending.
 */
const gateway = proxyActivities<RefundActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 25 },
});
const record = proxyActivities<RefundActivities>({ startToCloseTimeout: '30 seconds' });

/**
 * One refund: the gateway (or the seller, by hand), then what the refund takes back, once. A
 * refund the gateway answers `pending` is left by the consequences activity: Stripe's
 * refund.updated event runs them (src/refunds/stripe-refund-update.ts), and for PayPal its webhook
 * or this workflow's checks of the refund, whichever comes first (src/refunds/paypal-refund-update.ts).
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
  if (outcome !== 'pending' || !patched('paypal-refund-checks-pending')) return outcome;
  // PayPal may send no event when it completes a refund it held: it is asked on durable timers,
  // further apart each time, until it decides (a Stripe refund is left to Stripe's events at once).
  for (let checks = 0; ; checks += 1) {
    const check = await gateway.checkPendingRefund({ ...input, checks });
    if (check.outcome !== 'pending' || check.nextCheckInMs === null) return check.outcome;
    await sleep(check.nextCheckInMs);
  }
}
