import { redactSecrets } from '../redact-secrets';
import {
  LogLevel,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  WebClient,
  type Logger,
} from '@slack/web-api';
import {
  CommunityPlatformError,
  type CommunityAdapter,
  type CommunityFailureKind,
  type ConnectionCheck,
  type GrantRequest,
  type GrantResult,
  type HealthIssue,
  type RevokeRequest,
  type SpaceCheck,
  type SpaceSummary,
} from '../platform';

export interface SlackAdapterOptions {
  /** Web API root: https://slack.com/api/, or a fake in tests. */
  apiUrl: string;
  /** The seller's bot token (xoxb-…). */
  token: string;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** users.conversations allows up to 1000; 200 is what Slack recommends per page. */
const CHANNEL_PAGE_SIZE = 200;

/**
 * Slack error codes by who has to act. Codes not listed (user_is_restricted, user_disabled,
 * cant_invite, cant_invite_self, cant_kick_from_general, user_not_found...) concern this one
 * request and will not fix themselves: invalid_request.
 */
const FAILURE_KINDS: Readonly<Record<string, CommunityFailureKind>> = {
  // On invite/kick this means our app is not a member of the channel.
  not_in_channel: 'missing_permission',
  missing_scope: 'missing_permission',
  not_allowed_token_type: 'missing_permission',
  restricted_action: 'missing_permission',
  no_permission: 'missing_permission',
  channel_not_found: 'not_connected',
  is_archived: 'not_connected',
  not_authed: 'not_connected',
  invalid_auth: 'not_connected',
  account_inactive: 'not_connected',
  token_revoked: 'not_connected',
  token_expired: 'not_connected',
  ratelimited: 'rate_limited',
  internal_error: 'unavailable',
  fatal_error: 'unavailable',
  service_unavailable: 'unavailable',
  request_timeout: 'unavailable',
};

/** What the seller should do about a code, appended to the error message. */
const HINTS: Readonly<Record<string, string>> = {
  not_in_channel: 'add the app to the channel',
  channel_not_found: 'the channel was deleted, or it is private and the app is not in it',
  is_archived: 'the channel is archived',
  invalid_auth: 'reconnect Slack',
  token_revoked: 'the app was uninstalled; reconnect Slack',
  account_inactive: 'the workspace or app is deactivated; reconnect Slack',
};

/** The SDK logs request bodies and warnings at debug/warn; we report through errors instead. */
const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};

const AWAITING_WORKSPACE_JOIN = 'Waiting for the customer to join the Slack workspace with the invite link';
const AWAITING_IDENTITY = 'Waiting for the customer to link their Slack account: the order has no email or Slack user id';

function slackCode(error: unknown): string | undefined {
  return error instanceof WebAPIPlatformError ? error.data.error : undefined;
}

/** Grants customers a Slack channel by inviting their workspace account (conversations.invite). */
export class SlackAdapter implements CommunityAdapter {
  readonly platform = 'slack' as const;
  private readonly client: WebClient;
  private readonly token: string;

  constructor(options: SlackAdapterOptions) {
    this.token = options.token;
    this.client = new WebClient(options.token, {
      slackApiUrl: options.apiUrl,
      // Never retry or sleep inside the SDK: the Temporal activity retry policy does the waiting.
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      logger: silentLogger,
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
  }

  async checkConnection(): Promise<ConnectionCheck> {
    const auth = await this.call('auth.test', () => this.client.auth.test());
    if (!auth.team_id) throw this.error('unavailable', 'Slack auth.test answered without team_id');
    return { accountId: auth.team_id, accountName: auth.team ?? auth.team_id };
  }

  /** Public and private channels the app is a member of: the only ones it can invite into. */
  async listSpaces(): Promise<SpaceSummary[]> {
    const spaces: SpaceSummary[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.call('users.conversations', () =>
        this.client.users.conversations({
          types: 'public_channel,private_channel',
          exclude_archived: true,
          limit: CHANNEL_PAGE_SIZE,
          cursor,
        }),
      );
      for (const channel of page.channels ?? []) if (channel.id) spaces.push({ id: channel.id, name: channel.name ?? channel.id });
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return spaces;
  }

  /** Slack has no roles to check: rolesInUse is ignored. */
  async checkSpace(spaceId: string, _rolesInUse: string[] = []): Promise<SpaceCheck> {
    const info = await this.client.conversations.info({ channel: spaceId }).catch((error: unknown) => {
      if (slackCode(error) === 'channel_not_found') return null;
      throw this.failure('conversations.info', error);
    });
    if (!info)
      return {
        name: null,
        issues: [{ code: 'channel_not_found', message: `Slack channel ${spaceId} not found: ${HINTS.channel_not_found}.` }],
      };
    const channel = info.channel;
    const label = channel?.name ? `#${channel.name}` : spaceId;
    const issues: HealthIssue[] = [];
    if (channel?.is_archived)
      issues.push({ code: 'channel_archived', message: `${label} is archived: unarchive it or choose another channel.` });
    if (channel?.is_member === false)
      issues.push({
        code: 'app_not_in_channel',
        message: `The app is not a member of ${label}: add it to the channel so it can invite customers.`,
      });
    return { name: channel?.name ?? null, issues };
  }

  async grant(request: GrantRequest): Promise<GrantResult> {
    const { customer } = request;
    let userId = customer.userId || null;
    if (!userId) {
      const email = customer.email?.trim();
      if (!email) return { status: 'awaiting_customer', reason: AWAITING_IDENTITY, inviteUrl: request.inviteUrl };
      userId = await this.findWorkspaceMember(email);
      if (!userId) return { status: 'awaiting_customer', reason: AWAITING_WORKSPACE_JOIN, inviteUrl: request.inviteUrl };
    }
    await request.beforeJoin(userId);
    try {
      await this.client.conversations.invite({ channel: request.spaceId, users: userId });
    } catch (error) {
      if (slackCode(error) !== 'already_in_channel') throw this.failure('conversations.invite', error);
      return { status: 'granted', memberId: userId, joinedByGrant: false };
    }
    return { status: 'granted', memberId: userId, joinedByGrant: true };
  }

  async revoke(request: RevokeRequest): Promise<void> {
    if (request.memberId === null || !request.removeMember) return;
    try {
      await this.client.conversations.kick({ channel: request.spaceId, user: request.memberId });
    } catch (error) {
      if (slackCode(error) !== 'not_in_channel') throw this.failure('conversations.kick', error);
      // not_in_channel is also what an app outside the channel hears: only success when the app is in it.
      await this.requireAppInChannel(request.spaceId);
    }
  }

  /** The workspace member with this email, or null until the customer has joined the workspace. */
  private async findWorkspaceMember(email: string): Promise<string | null> {
    try {
      const found = await this.client.users.lookupByEmail({ email });
      return found.user?.id ?? null;
    } catch (error) {
      if (slackCode(error) === 'users_not_found') return null;
      throw this.failure('users.lookupByEmail', error);
    }
  }

  private async requireAppInChannel(channelId: string): Promise<void> {
    const info = await this.call('conversations.info', () => this.client.conversations.info({ channel: channelId }));
    if (info.channel?.is_member === false) {
      throw this.error('missing_permission', `Slack conversations.kick failed: not_in_channel (${HINTS.not_in_channel} ${channelId})`, {
        platformCode: 'not_in_channel',
      });
    }
  }

  private async call<T>(method: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw this.failure(method, error);
    }
  }

  /** An SDK error as a classified platform error; messages are ours, scrubbed of the token. */
  private failure(method: string, error: unknown): CommunityPlatformError {
    if (error instanceof CommunityPlatformError) return error;
    if (error instanceof WebAPIRateLimitedError) {
      return this.error('rate_limited', `Slack rate-limited ${method}: retry after ${error.retryAfter}s`, {
        retryAfterMs: error.retryAfter * 1000,
      });
    }
    if (error instanceof WebAPIPlatformError) {
      const code = error.data.error;
      const kind = FAILURE_KINDS[code] ?? 'invalid_request';
      // missing_scope replies name the scope: { needed: 'users:read.email', provided: '...' }.
      const scope: unknown = (error.data as { needed?: unknown }).needed;
      const needed = code === 'missing_scope' && typeof scope === 'string' ? `the app needs the ${scope} scope` : undefined;
      const hint = needed ?? HINTS[code];
      const retryAfter = error.data.response_metadata?.retryAfter;
      return this.error(kind, `Slack ${method} failed: ${code}${hint ? ` (${hint})` : ''}`, {
        platformCode: code,
        ...(kind === 'rate_limited' && retryAfter !== undefined ? { retryAfterMs: retryAfter * 1000 } : {}),
      });
    }
    if (error instanceof WebAPIHTTPError) {
      return this.error('unavailable', `Slack ${method} answered HTTP ${error.statusCode}`, { platformCode: error.statusCode });
    }
    const reason = error instanceof WebAPIRequestError ? error.original.message : error instanceof Error ? error.message : String(error);
    return this.error('unavailable', `Slack ${method} request failed: ${reason}`);
  }

  private error(
    kind: CommunityFailureKind,
    message: string,
    options: { retryAfterMs?: number; platformCode?: string | number } = {},
  ): CommunityPlatformError {
    return new CommunityPlatformError('slack', kind, redactSecrets(message, [this.token]), options);
  }
}
