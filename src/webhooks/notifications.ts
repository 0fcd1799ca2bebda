import nodemailer from 'nodemailer';
import { BlockedDestinationError, guardedFetch } from './network-guard';

export interface NotificationSettings {
  /** discord: the channel webhook URL (https://discord.com/api/webhooks/<id>/<token>). */
  webhook_url?: string;
  /** email: recipients. */
  to?: string[];
}

/** A Discord channel webhook URL (https://discord.com/api/webhooks/<id>/<token>). */
export const DISCORD_WEBHOOK_URL = /^https:\/\/(discord\.com|discordapp\.com|canary\.discord\.com)\/api\/webhooks\/\d+\/[\w-]+$/;

export interface NotificationConfig {
  smtpUrl?: string;
  from: string;
  discordApiBase: string;
}

export interface NotificationMessage {
  title: string;
  lines: string[];
}

export class PermanentNotificationError extends Error {}

/** A human line per event, for Discord and e-mail alike. */
export function describeEvent(event: { id: string; type: string; livemode: boolean; data: Record<string, unknown> }): NotificationMessage {
  return {
    title: `${event.livemode ? '' : '[test] '}${event.type}`,
    lines: [
      ...Object.entries(event.data).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`),
      `event: ${event.id}`,
    ],
  };
}

/** Discord webhooks live at discord.com; DISCORD_API_BASE points them elsewhere (tests). */
function discordUrl(webhookUrl: string, base: string): string {
  const url = new URL(webhookUrl);
  return `${base}${url.pathname}${url.search}`;
}

/**
 * Sends one notification. Discord webhooks go through the network guard like every webhook
 * (public addresses only unless `guard.allowPrivate`, WEBHOOKS_ALLOW_PRIVATE_NETWORKS); a refused
 * address is permanent.
 */
export async function sendNotification(
  kind: 'discord' | 'email',
  settings: NotificationSettings,
  message: NotificationMessage,
  config: NotificationConfig,
  guard: { allowPrivate: boolean },
): Promise<void> {
  if (kind === 'discord') {
    let response: Response;
    try {
      response = await guardedFetch(
        discordUrl(settings.webhook_url!, config.discordApiBase),
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            username: 'Sellflow',
            embeds: [{ title: message.title, description: message.lines.join('\n').slice(0, 4000) }],
          }),
          signal: AbortSignal.timeout(10_000),
        },
        guard,
      );
    } catch (error) {
      if (error instanceof BlockedDestinationError) {
        throw new PermanentNotificationError(`The Discord webhook address is refused: ${error.message}`);
      }
      throw error;
    }
    if (response.status >= 400 && response.status < 500 && response.status !== 429)
      throw new PermanentNotificationError(`Discord answered ${response.status}`);
    if (!response.ok) throw new Error(`Discord answered ${response.status}`);
    return;
  }
  if (!config.smtpUrl) throw new PermanentNotificationError('No SMTP server is configured (SMTP_URL)');
  const transport = nodemailer.createTransport(config.smtpUrl);
  try {
    await transport.sendMail({ from: config.from, to: settings.to, subject: message.title, text: message.lines.join('\n') });
  } finally {
    transport.close();
  }
}
