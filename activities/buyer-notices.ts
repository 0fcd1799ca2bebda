import type { Db } from '../src/db/schema';
import type { BuyerEmailOutcome } from '../src/orders/buyer-email';
import { sendBuyerNotice } from '../src/orders/buyer-notices';
import type { BuyerNoticeInput } from '../src/temporal/contracts/buyer-notice';
import type { NotificationConfig } from '../src/webhooks/notifications';
import { smtpSendFailure } from './smtp-failure';

/** The buyer-notice workflow's one side effect: the e-mail, once per event. */
export function createBuyerNoticeActivities(deps: { db: Db; notifications: NotificationConfig; publicBaseUrl: string }) {
  return {
    async sendBuyerNotice(input: BuyerNoticeInput): Promise<BuyerEmailOutcome> {
      try {
        return await sendBuyerNotice(
          { db: deps.db, mail: deps.notifications, publicBaseUrl: deps.publicBaseUrl },
          input.invoiceId,
          input.notice,
        );
      } catch (error) {
        throw smtpSendFailure(error);
      }
    },
  };
}

export type BuyerNoticeActivities = ReturnType<typeof createBuyerNoticeActivities>;
