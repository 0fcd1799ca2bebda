import { continueAsNew, proxyActivities, sleep } from '@temporalio/workflow';
import type { WebhookActivities } from '../activities/webhooks';

const { dispatchEvents } = proxyActivities<WebhookActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumInterval: '10 seconds' },
});

/**
 * The outbox relay: hands recorded events to delivery workflows, polling once a second
 * when idle. Runs forever as one workflow per task queue; starts afresh (continueAsNew)
 * every few hundred rounds so its history stays small.
 */
export async function eventDispatcher(): Promise<void> {
  for (let round = 0; round < 500; round += 1) {
    const handed = await dispatchEvents({ limit: 200 });
    if (handed === 0) await sleep('1 second');
  }
  await continueAsNew<typeof eventDispatcher>();
}
