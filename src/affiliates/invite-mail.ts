import nodemailer from 'nodemailer';
import type { NotificationConfig } from '../webhooks/notifications';

export interface AffiliateInvite {
  to: string;
  storeName: string;
  applicationUrl: string;
}

/** Where an invitee completes their application: the store's customer-portal join page. */
export function applicationUrl(storefrontBase: string, storeSlug: string, email: string, inviteToken: string): string {
  return `${storefrontBase}/stores/${storeSlug}/customer-portal/affiliates/join?email=${encodeURIComponent(email)}&invite=${inviteToken}`;
}

/** The invitation e-mail. Returns false when no SMTP server is configured (nothing can be sent). */
export async function sendAffiliateInvite(config: NotificationConfig, invite: AffiliateInvite): Promise<boolean> {
  if (!config.smtpUrl) return false;
  const transport = nodemailer.createTransport(config.smtpUrl);
  try {
    await transport.sendMail({
      from: config.from,
      to: invite.to,
      subject: `${invite.storeName} invites you to its affiliate program`,
      text: [
        `${invite.storeName} would like you to promote its products and earn a commission on every sale you refer.`,
        `Complete your application, with your payout details, here: ${invite.applicationUrl}`,
      ].join('\n\n'),
    });
    return true;
  } finally {
    transport.close();
  }
}
