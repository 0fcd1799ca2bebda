import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { PaypalActivities } from '../activities/paypal';
import type { PaypalCaptureInput, PaypalCaptureOutcome } from '../src/temporal/contracts/paypal-capture';

/**
 * The capture call: PayPal down or busy is retried under the same PayPal-Request-Id, so a reply
 * lost after PayPal captured answers that capture and the buyer is charged once; a refusal is final.
 */
const paypal = proxyActivities<PaypalActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 30 },
});

/** Captures a PayPal order the buyer approved (their return or PayPal's webhook, whichever came first) and applies it, once. */
export async function paypalCapture(input: PaypalCaptureInput): Promise<PaypalCaptureOutcome> {
  try {
    return await paypal.capturePaypalOrder(input);
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    return 'refused';
  }
}
