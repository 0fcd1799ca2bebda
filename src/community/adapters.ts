import type { Config } from '../config';
import type { SecretBox } from '../security/secret-box';
import { discordCredentials, openCredentials, slackCredentials, whatsappCredentials } from './connection-credentials';
import { DiscordAdapter } from './discord/discord-adapter';
import { CommunityPlatformError, type CommunityAdapter, type CommunityPlatform } from './platform';
import { SlackAdapter } from './slack/slack-adapter';
import { TelegramAdapter } from './telegram/telegram-adapter';
import { WhatsAppAdapter } from './whatsapp/whatsapp-adapter';

export type CommunityConfig = Config['community'];

/** What an adapter needs of a stored connection. */
export interface AdapterConnection {
  platform: CommunityPlatform;
  bot_mode: 'official' | 'custom';
  credentials_sealed: string | null;
}

/** Our official bot is not configured on this deployment: the seller cannot be at fault, ops can. */
function officialMissing(platform: CommunityPlatform, variable: string): CommunityPlatformError {
  return new CommunityPlatformError(platform, 'not_connected', `The official ${platform} bot is not configured (${variable})`);
}

export function discordAdapter(config: CommunityConfig, secrets: SecretBox, connection: AdapterConnection): DiscordAdapter {
  const custom = connection.bot_mode === 'custom' ? openCredentials(secrets, discordCredentials, connection.credentials_sealed) : null;
  if (custom)
    return new DiscordAdapter({
      apiBase: config.discord.apiBase,
      botToken: custom.bot_token,
      clientId: custom.client_id,
      clientSecret: custom.client_secret,
    });
  if (!config.discord.botToken) throw officialMissing('discord', 'DISCORD_BOT_TOKEN');
  return new DiscordAdapter({
    apiBase: config.discord.apiBase,
    botToken: config.discord.botToken,
    clientId: config.discord.clientId,
    clientSecret: config.discord.clientSecret,
  });
}

export function telegramAdapter(config: CommunityConfig): TelegramAdapter {
  if (!config.telegram.botToken) throw officialMissing('telegram', 'TELEGRAM_BOT_TOKEN');
  return new TelegramAdapter({ apiRoot: config.telegram.apiRoot, botToken: config.telegram.botToken });
}

/** The adapter that acts for this connection: our official bot, or the store's own credentials. */
export function communityAdapter(config: CommunityConfig, secrets: SecretBox, connection: AdapterConnection): CommunityAdapter {
  switch (connection.platform) {
    case 'discord':
      return discordAdapter(config, secrets, connection);
    case 'telegram':
      return telegramAdapter(config);
    case 'slack': {
      const slack = openCredentials(secrets, slackCredentials, connection.credentials_sealed);
      if (!slack) throw new CommunityPlatformError('slack', 'not_connected', 'The Slack workspace has no token');
      return new SlackAdapter({ apiUrl: config.slack.apiUrl, token: slack.token });
    }
    case 'whatsapp': {
      const whatsapp = openCredentials(secrets, whatsappCredentials, connection.credentials_sealed);
      if (!whatsapp) throw new CommunityPlatformError('whatsapp', 'not_connected', 'The WhatsApp number has no access token');
      return new WhatsAppAdapter({
        apiBase: config.whatsapp.apiBase,
        accessToken: whatsapp.access_token,
        phoneNumberId: whatsapp.phone_number_id,
      });
    }
  }
}
