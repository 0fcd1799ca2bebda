import { ActivityFailure, log, proxyActivities } from '@temporalio/workflow';
import type { BuyerNoticeActivities } from '../activities/buyer-notices';
import type { BuyerNoticeInput, BuyerNoticeOutcome } from '../src/temporal/contracts/buyer-notice';
import { BUYER_EMAIL_ACTIVITY_TIMEOUT_MS } from '../src/temporal/contracts/buyer-email-timing';

/** Over SMTP: attempts at 0 s, 2 s, 8 s, 26 s and 80 s; a refusal (5xx) is final at once. */
const mail = proxyActivities<BuyerNoticeActivities>({
  startToCloseTimeout: BUYER_EMAIL_ACTIVITY_TIMEOUT_MS,
  retry: { initialInterval: '2 seconds', backoffCoefficient: 3, maximumAttempts: 5 },
});

/**
 * One buyer notice (a renewal receipt, a late invite link), started by the outbox from the
 * event's own transaction; the activity sends it once per event whatever the retries.
 */
export async function buyerNotice(input: BuyerNoticeInput): Promise<BuyerNoticeOutcome> {
  try {
    return (await mail.sendBuyerNotice(input)).status;
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    log.warn('buyer notice not sent', { invoiceId: input.invoiceId, kind: input.notice.kind, reason: error.cause?.message });
    return 'failed';
  }
}
