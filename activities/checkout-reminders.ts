import type { Db } from '../src/db/schema';
import type { SecretBox } from '../src/security/secret-box';
import {
  type CheckoutReminderOutcome,
  type PlannedReminder,
  planCheckoutReminders,
  sendCheckoutReminder,
} from '../src/orders/checkout-reminders';
import type { NotificationConfig } from '../src/webhooks/notifications';
import { smtpSendFailure } from './smtp-failure';

export interface CheckoutReminderActivityDependencies {
  db: Db;
  notifications: NotificationConfig;
  secrets: SecretBox;
  /** PUBLIC_BASE_URL: the reminder links to the invoice's own hosted checkout page there. */
  publicBaseUrl: string;
  /** How long "an hour" of the schedule lasts (CHECKOUT_REMINDER_HOUR_SECONDS; tests shorten it). */
  checkoutReminders: { hourMs: number };
}

/** The abandoned-checkout reminder workflow's side effects. */
export function createCheckoutReminderActivities(deps: CheckoutReminderActivityDependencies) {
  return {
    async planCheckoutReminders(input: { invoiceId: number }): Promise<{ reminders: PlannedReminder[] }> {
      return { reminders: await planCheckoutReminders(deps.db, input.invoiceId, deps.checkoutReminders.hourMs) };
    },

    /** Checks the checkout is still unpaid and sends reminder `number`, in one transaction (see sendCheckoutReminder). */
    async sendCheckoutReminder(input: { invoiceId: number; number: number }): Promise<CheckoutReminderOutcome> {
      try {
        return await sendCheckoutReminder(
          { db: deps.db, mail: deps.notifications, publicBaseUrl: deps.publicBaseUrl, secrets: deps.secrets },
          input.invoiceId,
          input.number,
        );
      } catch (error) {
        throw smtpSendFailure(error);
      }
    },
  };
}

export type CheckoutReminderActivities = ReturnType<typeof createCheckoutReminderActivities>;
