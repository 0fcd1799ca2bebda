import nodemailer from 'nodemailer';
import type { NotificationConfig } from '../webhooks/notifications';

export interface PaymentFailedNotice {
  to: string;
  storeName: string;
  productTitle: string;
  accessEndsAt: Date;
}

/**
 * Tells the customer a renewal failed and until when access lasts. Returns false when no
 * SMTP server is configured (nothing can be sent; the store still gets its event).
 */
export async function sendPaymentFailedNotice(config: NotificationConfig, notice: PaymentFailedNotice): Promise<boolean> {
  if (!config.smtpUrl) return false;
  const transport = nodemailer.createTransport(config.smtpUrl);
  try {
    await transport.sendMail({
      from: config.from,
      to: notice.to,
      subject: `${notice.storeName}: your subscription payment failed`,
      text: [
        `We could not charge the renewal of "${notice.productTitle}".`,
        `Your access continues until ${notice.accessEndsAt.toUTCString()}; update your payment method before then to keep it.`,
      ].join('\n\n'),
    });
    return true;
  } finally {
    transport.close();
  }
}
