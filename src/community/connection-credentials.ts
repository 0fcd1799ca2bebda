import { z } from 'zod';
import type { SecretBox } from '../security/secret-box';

/**
 * What each platform's connection holds, sealed as one JSON object: a store's custom Discord
 * bot, its Slack app token, its WhatsApp Cloud API number. Telegram uses our official bot only.
 */
export const discordCredentials = z.object({
  bot_token: z.string().min(1).max(200),
  client_id: z.string().min(1).max(40),
  client_secret: z.string().min(1).max(200),
});
export const slackCredentials = z.object({ token: z.string().regex(/^xox[a-z]-/, 'a Slack token starts with xoxb- (bot) or xoxp-') });
export const whatsappCredentials = z.object({
  access_token: z.string().min(1).max(1000),
  phone_number_id: z.string().regex(/^\d{1,30}$/, 'the phone number id is digits'),
});

export type DiscordCredentials = z.infer<typeof discordCredentials>;
export type SlackCredentials = z.infer<typeof slackCredentials>;
export type WhatsAppCredentials = z.infer<typeof whatsappCredentials>;

export function sealCredentials(box: SecretBox, credentials: object | null): string | null {
  return credentials === null ? null : box.seal(JSON.stringify(credentials));
}

export function openCredentials<T>(box: SecretBox, shape: z.ZodType<T>, sealed: string | null): T | null {
  return sealed === null ? null : shape.parse(JSON.parse(box.open(sealed)));
}
