import { z } from 'zod';
import { communityAdapter } from './adapters';
import { discordCredentials, slackCredentials, whatsappCredentials } from './connection-credentials';
import { connectPlatform } from './connections';
import { CommunityRuleError } from './errors';
import { serverView } from './official-connections';
import type { CommunityPlatform } from './platform';
import { addSpace, type CommunityServices, loadConnection, loadSpace } from './spaces';
import { connectCodeStatus, issueConnectCode } from './telegram-connect';

/**
 * The official SDKs' connect flow over Sellflow's community settings. Sellflow takes a platform's
 * credentials directly (no provider OAuth of its own), so `connect` connects at once where it can:
 * Discord with the official bot (or a custom one: client_id, client_secret, bot_token sent beside
 * `mode`), Slack with `token` and `invite_url`, WhatsApp with `access_token` and `phone_number_id`.
 * Telegram answers a verification code to post in the group; WhatsApp answers a status token whose
 * status lists the number's groups, one of which `complete` adds.
 */
const STATUS_TOKEN_TTL_MS = 15 * 60 * 1000;
// Manage Roles, Kick Members, Create Instant Invite: what grants and revocations need.
const DISCORD_BOT_PERMISSIONS = '268435459';

const statusTokenContent = z.object({ store: z.number(), platform: z.string(), code: z.number().nullable(), until: z.number() });

/** Sealed with the server's key: the store, platform and (Telegram) code it was issued for; it cannot be forged or moved. */
function issueStatusToken(services: CommunityServices, storeId: number, platform: CommunityPlatform, code: number | null, until: Date) {
  return services.secrets.seal(JSON.stringify({ store: storeId, platform, code, until: until.getTime() }));
}

function openStatusToken(services: CommunityServices, storeId: number, platform: CommunityPlatform, token: string) {
  const invalid = () =>
    new CommunityRuleError('invalid_status_token', 'The status token is not one this store was given for this platform', 'status_token');
  let content: z.infer<typeof statusTokenContent>;
  try {
    content = statusTokenContent.parse(JSON.parse(services.secrets.open(token)));
  } catch {
    throw invalid();
  }
  if (content.store !== storeId || content.platform !== platform) throw invalid();
  return content;
}

function discordBotInviteUrl(services: CommunityServices, clientId: string | undefined) {
  if (!clientId) return undefined;
  const query = new URLSearchParams({ client_id: clientId, scope: 'bot applications.commands', permissions: DISCORD_BOT_PERMISSIONS });
  return `${services.config.discord.apiBase}/oauth2/authorize?${query.toString()}`;
}

function parsed<T>(shape: z.ZodType<T>, body: unknown): T {
  const result = shape.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new CommunityRuleError('invalid_field', `${issue.path.join('.') || 'body'}: ${issue.message}`, issue.path.join('.') || undefined);
}

export async function startConnection(
  services: CommunityServices,
  storeId: number,
  platform: CommunityPlatform,
  body: Record<string, unknown>,
) {
  switch (platform) {
    case 'discord': {
      const mode = body.mode ?? 'official_bot';
      if (mode === 'official_bot') {
        await connectPlatform(services, storeId, { platform, bot_mode: 'official' });
        return {
          platform,
          type: 'oauth',
          mode,
          connect_url: discordBotInviteUrl(services, services.config.discord.clientId),
          expires_at: null,
        };
      }
      if (mode === 'custom_bot') {
        const credentials = parsed(discordCredentials, body);
        await connectPlatform(services, storeId, { platform, bot_mode: 'custom', ...credentials });
        return { platform, type: 'oauth', mode, connect_url: discordBotInviteUrl(services, credentials.client_id), expires_at: null };
      }
      throw new CommunityRuleError('mode_not_supported', 'Sellflow connects Discord with a bot: mode official_bot or custom_bot', 'mode');
    }
    case 'telegram': {
      const code = await issueConnectCode(services, storeId);
      return {
        platform,
        type: 'verification_code',
        verification_token: code.code,
        status_token: issueStatusToken(services, storeId, platform, code.id, new Date(code.expires_at)),
        expires_at: code.expires_at,
        bot_username: code.bot_username,
      };
    }
    case 'slack': {
      const input = parsed(slackCredentials.extend({ invite_url: z.url().startsWith('https://') }), body);
      await connectPlatform(services, storeId, { platform, ...input });
      return { platform, type: 'oauth', mode: 'token', expires_at: null };
    }
    case 'whatsapp': {
      const input = parsed(whatsappCredentials, body);
      await connectPlatform(services, storeId, { platform, ...input });
      const until = new Date(Date.now() + STATUS_TOKEN_TTL_MS);
      return {
        platform,
        type: 'qr',
        mode: 'cloud_api',
        status_token: issueStatusToken(services, storeId, platform, null, until),
        expires_at: until.toISOString(),
      };
    }
  }
}

const TELEGRAM_STATUSES = { pending: 'pending', connected: 'linked', expired: 'expired' } as const;

export async function connectionStatus(services: CommunityServices, storeId: number, platform: CommunityPlatform, statusToken: string) {
  const token = openStatusToken(services, storeId, platform, statusToken);
  const expiresAt = new Date(token.until).toISOString();
  if (platform === 'telegram' && token.code !== null) {
    const code = await connectCodeStatus(services.db, storeId, token.code);
    const server = code.space_id === null ? null : serverView(await loadSpace(services.db, storeId, code.space_id));
    return {
      platform,
      status: TELEGRAM_STATUSES[code.status as keyof typeof TELEGRAM_STATUSES] ?? 'unknown',
      expires_at: code.expires_at,
      server,
    };
  }
  if (platform !== 'whatsapp')
    throw new CommunityRuleError('status_not_supported', 'Only Telegram and WhatsApp connections are polled', 'platform');
  if (token.until <= Date.now()) return { platform, status: 'expired', expires_at: expiresAt, server: null };
  const connection = await loadConnection(services.db, storeId, platform);
  const groups = await communityAdapter(services.config, services.secrets, connection).listSpaces();
  return {
    platform,
    status: 'authenticated',
    expires_at: expiresAt,
    qr_code: null,
    server: null,
    groups_loaded: true,
    available_servers: groups.map((g) => ({ id: g.id, name: g.name, type: 'group' as const })),
  };
}

/** WhatsApp: the group chosen from the status's list becomes one of the store's spaces. */
export async function completeConnection(
  services: CommunityServices,
  storeId: number,
  platform: CommunityPlatform,
  input: { status_token: string; server_id: string },
) {
  if (platform !== 'whatsapp')
    throw new CommunityRuleError('complete_not_supported', 'Only a WhatsApp connection is completed', 'platform');
  const token = openStatusToken(services, storeId, platform, input.status_token);
  if (token.until <= Date.now())
    throw new CommunityRuleError('status_token_expired', 'The status token has expired: connect again', 'status_token');
  const space = await addSpace(services, storeId, platform, input.server_id);
  return { platform: 'whatsapp' as const, connected: true as const, server: serverView(space) };
}
