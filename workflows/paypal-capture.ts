import { ActivityFailure, ApplicationFailure, patched, proxyActivities, sleep } from '@temporalio/workflow';
import type { PaypalActivities } from '../activities/paypal';
import type { PaypalCaptureInput, PaypalCaptureOutcome } from '../src/temporal/contracts/paypal-capture';

/**
 * The capture call: PayPal down or busy is retried under the same PayPal-Request-Id, so a reply
 * lost after PayPal captured answers that capture and the buyer is charged once. A refusal (not
 * approved, the store's app refused) fails the workflow: only a failed capture may be started
 * again, by the next approval news once the seller fixed what PayPal refused.
 */
const paypal = proxyActivities<PaypalActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 30 },
});

/**
 * Captures a PayPal order the buyer approved (their return or PayPal's webhook, whichever came
 * first) and applies it, once; a capture PayPal holds as pending is followed until PayPal decides.
 */
export async function paypalCapture(input: PaypalCaptureInput): Promise<PaypalCaptureOutcome> {
  let outcome: PaypalCaptureOutcome;
  try {
    outcome = await paypal.capturePaypalOrder(input);
  } catch (error) {
    // Failed for good: the invoice hears why (ops flag, or payable again), then the workflow fails as before.
    if (error instanceof ActivityFailure && patched('paypal-capture-failure-recorded')) {
      const cause = error.cause;
      const issue = cause instanceof ApplicationFailure && typeof cause.details?.[0] === 'string' ? cause.details[0] : null;
      await paypal.paypalCaptureFailed({ ...input, issue, reason: cause?.message ?? error.message });
    }
    throw error;
  }
  if (outcome !== 'pending' || !patched('paypal-capture-checks-pending')) return outcome;
  // PayPal holds it (a currency the seller does not hold, a review): its webhook may never come,
  // so PayPal is asked on durable timers, further apart each time, until it completes or denies it.
  for (let checks = 0; ; checks += 1) {
    const check = await paypal.checkPendingPaypalCapture({ ...input, checks });
    if (check.outcome !== 'pending' || check.nextCheckInMs === null) return check.outcome;
    await sleep(check.nextCheckInMs);
  }
}
