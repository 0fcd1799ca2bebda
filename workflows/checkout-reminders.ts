import { ActivityFailure, log, proxyActivities, proxyLocalActivities, sleep } from '@temporalio/workflow';
import type { CheckoutReminderActivities } from '../activities/checkout-reminders';
import type { CheckoutRemindersInput, CheckoutRemindersOutcome } from '../src/temporal/contracts/checkout-reminders';
import { BUYER_EMAIL_ACTIVITY_TIMEOUT_MS } from '../src/temporal/contracts/buyer-email-timing';

const plan = proxyLocalActivities<CheckoutReminderActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

/** A reminder over SMTP: attempts at 0 s, 2 s, 8 s and 26 s; a refusal (5xx) is final at once, and the next reminder still goes. */
const mail = proxyActivities<CheckoutReminderActivities>({
  startToCloseTimeout: BUYER_EMAIL_ACTIVITY_TIMEOUT_MS,
  retry: { initialInterval: '2 seconds', backoffCoefficient: 3, maximumAttempts: 4 },
});

/**
 * One unpaid checkout's reminders, in a store that turned them on: a durable timer until each
 * reminder is due, then one activity that checks the checkout is still abandoned and sends. Paid or
 * voided, the invoice's transition cancels this workflow through the outbox (the timer ends it);
 * a reminder that runs first finds the invoice settled and ends it too, as does one that finds the
 * buyer paying it (or having paid another checkout of the same goods).
 */
export async function checkoutReminders(input: CheckoutRemindersInput): Promise<CheckoutRemindersOutcome> {
  const { reminders } = await plan.planCheckoutReminders(input);
  let sent = 0;
  for (const reminder of reminders) {
    const wait = Date.parse(reminder.dueAt) - Date.now();
    if (wait > 0) await sleep(wait);
    try {
      const outcome = await mail.sendCheckoutReminder({ invoiceId: input.invoiceId, number: reminder.number });
      if (outcome.status === 'settled' || outcome.status === 'stopped' || outcome.status === 'paying')
        return { invoiceId: input.invoiceId, sent, outcome: outcome.status };
      if (outcome.status === 'sent') sent += 1;
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      // A reminder is a nudge, not goods: one that could not go out is logged, not flagged for ops.
      log.warn('checkout reminder not sent', { invoiceId: input.invoiceId, number: reminder.number, reason: error.cause?.message });
    }
  }
  return { invoiceId: input.invoiceId, sent, outcome: 'finished' };
}
