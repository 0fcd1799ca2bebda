import { ActivityFailure, proxyActivities, proxyLocalActivities, sleep } from '@temporalio/workflow';
import type { WebhookActivities } from '../activities/webhooks';
import type { DeliveryInput } from '../src/temporal/contracts/webhooks';

/** Attempts at 0 s, 2 s and 10 s; a 4xx is final; 10 s per attempt (15 s with margin). */
const send = proxyActivities<WebhookActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 4, maximumAttempts: 3 },
});
/** The same schedule's last two attempts, when the relay made the first. */
const sendAgain = proxyActivities<WebhookActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '8 seconds', maximumAttempts: 2 },
});
const bookkeeping = proxyLocalActivities<WebhookActivities>({ startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 10 } });

/**
 * One event to one endpoint. Receivers may see an event twice (a retry after a lost
 * answer): they dedupe on its id. Ordering across events is not promised.
 */
export async function webhookDelivery(input: DeliveryInput): Promise<'succeeded' | 'failed'> {
  try {
    if (input.afterFailedAttempt) {
      await sleep('2 seconds');
      await sendAgain.attemptWebhook(input);
    } else await send.attemptWebhook(input);
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    await bookkeeping.settleWebhook({ deliveryId: input.deliveryId, succeeded: false });
    return 'failed';
  }
  await bookkeeping.settleWebhook({ deliveryId: input.deliveryId, succeeded: true });
  return 'succeeded';
}
