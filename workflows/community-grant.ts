import {
  ActivityFailure,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { CommunityActivities } from '../activities/community';
import { nextCheckDelayMs } from '../src/domain/community-grant';
import {
  type CommunityGrantInput,
  type CommunityGrantOutcome,
  type CommunityGrantState,
  customerActedSignal,
  grantRetryRequestedSignal,
  grantRevokeRequestedSignal,
  grantStateQuery,
} from '../src/temporal/contracts/community-grant';

/**
 * Platform calls: transient failures and rate limits retry here, a 429's retry_after arriving
 * as the failure's next retry delay. Attempts run out after about half an hour of trouble;
 * the grant then needs manual action instead of retrying forever.
 */
const platform = proxyActivities<CommunityActivities>({
  // A few platform calls of at most 15 s each; a worker that died mid-call is noticed after this.
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 10 },
});

const bookkeeping = proxyLocalActivities<CommunityActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

/** A granted grant asks the database for a missed revocation this often (the relay's signal is the fast path). */
const REVOCATION_RECHECK = '1 day';

function failureReason(error: ActivityFailure): string {
  return error.cause?.message ?? error.message;
}

/**
 * One customer's access to one guild, chat, channel or group, from the order that bought it
 * until it is revoked: grant, wait for the customer (join, link) with a deadline, hold for
 * ops when the seller's setup is at fault, then revoke when the subscription ends, the money
 * goes back, or ops say so. The database holds the grant's state and history.
 */
export async function communityGrant(input: CommunityGrantInput): Promise<CommunityGrantOutcome> {
  const { grantId } = input;
  const state: CommunityGrantState = { status: 'processing', reason: null };
  let revoke = false;
  let retry = false;
  let acted = false;
  setHandler(grantRevokeRequestedSignal, () => void (revoke = true));
  setHandler(grantRetryRequestedSignal, () => void (retry = true));
  setHandler(customerActedSignal, () => void (acted = true));
  setHandler(grantStateQuery, () => state);

  let checks = input.checks ?? 0;
  let freshWindow = input.freshWindow ?? false;
  while (!revoke) {
    if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof communityGrant>({ ...input, checks, freshWindow });
    retry = false;
    acted = false;
    let outcome;
    try {
      outcome = await platform.attemptCommunityGrant({ grantId, freshWindow });
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      outcome = await bookkeeping.holdCommunityGrant({ grantId, reason: failureReason(error) });
    }
    freshWindow = false;
    state.status = outcome.status === 'revoke' ? 'revoking' : outcome.status;
    state.reason = outcome.reason;
    if (outcome.status === 'needs_manual_action') log.warn('community grant needs manual action', { grantId, reason: outcome.reason });
    else log.info('community grant attempted', { grantId, status: outcome.status });
    if (outcome.status === 'revoke') break;

    if (outcome.status === 'granted') {
      checks = 0;
      while (!revoke && !retry) {
        const signalled = await condition(() => revoke || retry, REVOCATION_RECHECK);
        if (!signalled && (await bookkeeping.communityGrantRevocationRequested({ grantId }))) revoke = true;
      }
    } else if (outcome.status === 'awaiting_customer') {
      const delay = nextCheckDelayMs(checks, input.checkMs, input.checkCeilingMs);
      checks += 1;
      // Past the deadline the next attempt turns the wait into needs_manual_action.
      const untilDeadline = outcome.awaitingUntil === null ? delay : Math.max(1, Date.parse(outcome.awaitingUntil) - Date.now() + 1);
      await condition(() => revoke || retry || acted, Math.min(delay, untilDeadline));
      if (retry) checks = 0;
    } else {
      await condition(() => revoke || retry);
      checks = 0;
      // Ops retrying a grant that timed out give the customer a new window.
      freshWindow = true;
    }
  }

  state.status = 'revoking';
  for (;;) {
    // Cleared before the call: an ops retry that arrives while it fails is not lost.
    retry = false;
    try {
      await platform.revokeCommunityGrant({ grantId });
      break;
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      const held = await bookkeeping.holdCommunityGrant({ grantId, reason: `Revoking failed: ${failureReason(error)}` });
      state.status = held.status;
      state.reason = held.reason;
      log.warn('community grant revocation failed', { grantId, reason: held.reason });
      await condition(() => retry);
      state.status = 'revoking';
    }
  }
  state.status = 'revoked';
  state.reason = null;
  log.info('community grant revoked', { grantId });
  return { grantId, outcome: 'revoked' };
}
