import { condition, continueAsNew, patched, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { WebhookActivities } from '../activities/webhooks';
import { outboxNewsSignal } from '../src/temporal/contracts/webhooks';

const { dispatchEvents, relayRound } = proxyActivities<WebhookActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumInterval: '10 seconds' },
});

/** Rounds per run: then it starts afresh (continueAsNew) so its history stays small. */
const ROUNDS_PER_RUN = 500;

/**
 * The outbox relay: hands recorded events to delivery workflows, tells the engine what a
 * crashed caller could not, and closes unpaid invoices' windows. Runs forever as one workflow
 * per task queue. Between rounds it sleeps until something comes due or a worker signals
 * news (src/outbox/relay-watcher.ts), so an idle store costs the engine almost nothing.
 */
export async function eventDispatcher(): Promise<void> {
  // Runs started before the relay slept between news poll once a second until they continue as new.
  if (!patched('relay-waits-for-news')) return pollingRelay();
  let news = false;
  setHandler(outboxNewsSignal, () => void (news = true));
  for (let round = 0; round < ROUNDS_PER_RUN; round += 1) {
    // Cleared before the round: news arriving while it runs brings another round.
    news = false;
    const { sleepMs } = await relayRound({ limit: 200 });
    if (sleepMs > 0) await condition(() => news, sleepMs);
  }
  await continueAsNew<typeof eventDispatcher>();
}

async function pollingRelay(): Promise<void> {
  for (let round = 0; round < ROUNDS_PER_RUN; round += 1) {
    const handed = await dispatchEvents({ limit: 200 });
    if (handed === 0) await sleep('1 second');
  }
  await continueAsNew<typeof eventDispatcher>();
}
