import { proxyActivities } from '@temporalio/workflow';
import type { ReconciliationActivities } from '../activities/subscription-reconciliation';
import type {
  SubscriptionReconciliationInput,
  SubscriptionReconciliationOutcome,
} from '../src/temporal/contracts/subscription-reconciliation';

const { openReconciliation, closeReconciliation } = proxyActivities<ReconciliationActivities>({ startToCloseTimeout: '1 minute' });
const { reconcileBatch } = proxyActivities<ReconciliationActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 5 },
});

const BATCH = 50;

/**
 * Daily (a Temporal Schedule) or on demand: every subscription with work left is checked
 * against its workflow and its provider; what disagrees is repaired and reported. A run
 * started for one store (`storeId`) checks that store's subscriptions only.
 */
export async function subscriptionReconciliation(input: SubscriptionReconciliationInput): Promise<SubscriptionReconciliationOutcome> {
  const { reconciliationId } = await openReconciliation(input);
  let afterId = 0;
  for (;;) {
    const batch = await reconcileBatch({ reconciliationId, afterId, limit: BATCH });
    if (batch.lastId === null) break;
    afterId = batch.lastId;
  }
  return { reconciliationId, ...(await closeReconciliation({ reconciliationId })) };
}
