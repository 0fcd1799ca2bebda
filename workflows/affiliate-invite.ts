import { proxyActivities } from '@temporalio/workflow';
import type { AffiliateActivities } from '../activities/affiliates';
import type { AffiliateInviteInput } from '../src/temporal/contracts/affiliates';

const { mailAffiliateInvite } = proxyActivities<AffiliateActivities>({
  startToCloseTimeout: '1 minute',
  // A mail server that is down is retried for about a day.
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '1 hour', maximumAttempts: 30 },
});

/** The invitation e-mail to a would-be affiliate, sent durably after the seller's request. */
export async function affiliateInvite(input: AffiliateInviteInput): Promise<string> {
  return mailAffiliateInvite(input);
}
