import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { AffiliateActivities } from '../activities/affiliates';
import type { PayoutCycleInput, PayoutCycleReport } from '../src/temporal/contracts/affiliates';

const { runAffiliatePayoutCycle } = proxyActivities<AffiliateActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 10 },
});

/**
 * One affiliate payout cycle of a store (a Temporal Schedule on the 1st and 15th, or ops on
 * demand). A scheduled run counts from its scheduled time, not from when it started, so a
 * run delayed by an outage or backfilled through the schedule pays the same referrals.
 */
export async function affiliatePayoutCycle(input: PayoutCycleInput): Promise<PayoutCycleReport> {
  let at = input.at;
  if (!at) {
    const scheduled = workflowInfo().searchAttributes['TemporalScheduledStartTime'];
    const first = Array.isArray(scheduled) ? scheduled[0] : undefined;
    at = first instanceof Date ? first.toISOString() : typeof first === 'string' ? first : workflowInfo().runStartTime.toISOString();
  }
  return runAffiliatePayoutCycle({ ...input, at });
}
