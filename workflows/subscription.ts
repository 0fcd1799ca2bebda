import {
  condition,
  continueAsNew,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SubscriptionActivities } from '../activities/subscriptions';
import {
  type SubscriptionInput,
  type SubscriptionOutcome,
  type SubscriptionState,
  subscriptionChangedSignal,
  subscriptionStateQuery,
} from '../src/temporal/contracts/subscription';

const DB_RETRY = { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' } as const;

/** Reading and settling the record: local, quick, idempotent. */
const record = proxyLocalActivities<SubscriptionActivities>({ startToCloseTimeout: '30 seconds', retry: DB_RETRY });

/** Provider calls and notices: retried until they succeed (a missing key waits for the seller). */
const provider = proxyActivities<SubscriptionActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/** Never spin on a deadline a clock skew makes look already past to the workflow. */
const MIN_WAIT_MS = 250;

/**
 * One subscription from its first payment to its end. The database holds the record; each
 * round reads what to do next, does it, and sleeps until the next deadline or until the
 * record changes (a signal). Ended, it revokes every entitlement and makes sure the provider
 * bills no more. It continues as new every few rounds so years of renewals stay small.
 */
export async function subscription(input: SubscriptionInput): Promise<SubscriptionOutcome> {
  let changes = 0;
  const state: SubscriptionState = { status: 'unknown', step: 'starting', waitingUntil: null, rounds: 0 };
  setHandler(subscriptionChangedSignal, () => void (changes += 1));
  setHandler(subscriptionStateQuery, () => state);
  const ref = { subscriptionId: input.subscriptionId };

  for (;;) {
    const seen = changes;
    const plan = await record.planSubscriptionStep(ref);
    state.rounds += 1;
    state.step = plan.step;
    if (plan.status !== state.status) {
      state.status = plan.status;
      upsertSearchAttributes({ SellflowStatus: [plan.status] });
    }
    switch (plan.step) {
      case 'finished':
        return { subscriptionId: input.subscriptionId, status: plan.status };
      case 'send_cancellation':
        await provider.sendSubscriptionCancellation(ref);
        break;
      case 'revoke':
        await provider.revokeSubscriptionEntitlements(ref);
        break;
      case 'end_at_provider':
        await provider.endSubscriptionAtProvider(ref);
        break;
      case 'notify_payment_failed':
        await provider.notifySubscriptionPaymentFailed(ref);
        break;
      case 'confirm_cancellation':
        await provider.confirmSubscriptionCancellation(ref);
        break;
      case 'settle':
        await record.settleSubscriptionDeadline(ref);
        break;
      case 'verify_renewal':
        await provider.verifySubscriptionRenewal(ref);
        break;
      case 'wait':
        state.waitingUntil = plan.until;
        await condition(() => changes !== seen, Math.max(MIN_WAIT_MS, Date.parse(plan.until!) - Date.now()));
        state.waitingUntil = null;
        break;
    }
    if (state.rounds >= plan.roundsPerRun || workflowInfo().continueAsNewSuggested) {
      // Everything lives in the record, so the next run needs only the ids.
      await continueAsNew<typeof subscription>(input);
    }
  }
}
