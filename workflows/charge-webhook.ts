import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { ChargeActivities } from '../activities/charges';
import type { ChargeWebhookInput } from '../src/temporal/contracts/webhooks';

/** The seller's endpoint: attempts at 0 s, 2 s and 8 s; a 4xx is final. */
const send = proxyActivities<ChargeActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 4, maximumAttempts: 3 },
});
const record = proxyActivities<ChargeActivities>({ startToCloseTimeout: '30 seconds' });

/** One charge status change to the charge's own webhook URL; a final failure is flagged for ops. */
export async function chargeWebhook(input: ChargeWebhookInput): Promise<'sent' | 'no_webhook' | 'failed'> {
  try {
    return await send.postChargeWebhook(input);
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    await record.chargeWebhookFailed({ eventId: input.eventId, reason: error.cause?.message ?? error.message });
    return 'failed';
  }
}
