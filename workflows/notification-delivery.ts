import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { WebhookActivities } from '../activities/webhooks';
import type { DeliveryInput } from '../src/temporal/contracts/webhooks';

/** Same rhythm as webhooks: attempts at 0 s, 2 s and 8 s; a refusal (4xx) is final. */
const send = proxyActivities<WebhookActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 4, maximumAttempts: 3 },
});

/** One store event to one notification channel (Discord or e-mail). */
export async function notificationDelivery(input: DeliveryInput): Promise<'succeeded' | 'failed'> {
  try {
    await send.attemptNotification(input);
    return 'succeeded';
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    await send.markNotificationFailed(input);
    return 'failed';
  }
}
