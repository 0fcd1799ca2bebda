import {
  DiscordAPIError,
  HTTPError,
  OAuth2Scopes,
  PermissionFlagsBits,
  RateLimitError,
  REST,
  RequestMethod,
  RESTJSONErrorCodes,
  Routes,
  type APIGuild,
  type APIGuildMember,
  type APIUser,
  type RESTGetAPICurrentUserGuildsResult,
  type RESTPostOAuth2AccessTokenResult,
} from 'discord.js';
import { redactSecrets } from '../redact-secrets';
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
  type SpaceRole,
  type SpaceSummary,
} from '../platform';

export interface DiscordAdapterOptions {
  /** e.g. https://discord.com: the REST API is `${apiBase}/api/v10`, OAuth2 consent at `${apiBase}/oauth2/authorize`. */
  apiBase: string;
  botToken: string;
  /** The application's OAuth2 client, needed only for customer authorization. */
  clientId?: string;
  clientSecret?: string;
  timeoutMs?: number;
}

/** A customer's Discord authorization, from the OAuth2 code exchange. */
export interface DiscordAuthorization {
  userId: string;
  username: string;
  accessToken: string;
  refreshToken: string;
  /** ISO 8601. */
  expiresAt: string;
  scopes: string[];
}

const CUSTOMER_SCOPES = [OAuth2Scopes.Identify, OAuth2Scopes.GuildsJoin];
const AWAITING_AUTHORIZATION: GrantResult = {
  status: 'awaiting_customer',
  reason: 'The customer must authorize Discord (guilds.join) to be added to the server',
  inviteUrl: null,
};
/** Discord caps /users/@me/guilds pages at 200. */
const GUILD_PAGE = 200;

/** Whose credentials a request carries: a 401 on the customer's token is theirs to fix, not the seller's. */
type Audience = 'bot' | 'customer';

const hasCode = (error: unknown, code: number) => error instanceof DiscordAPIError && error.code === code;

export class DiscordAdapter implements CommunityAdapter {
  readonly platform = 'discord' as const;
  readonly #rest: REST;
  readonly #apiBase: string;
  readonly #botToken: string;
  readonly #clientId: string | undefined;
  readonly #clientSecret: string | undefined;
  readonly #timeoutMs: number;
  #botUserId: string | null = null;

  constructor(options: DiscordAdapterOptions) {
    this.#apiBase = options.apiBase.replace(/\/+$/, '');
    this.#botToken = options.botToken;
    this.#clientId = options.clientId;
    this.#clientSecret = options.clientSecret;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#rest = new REST({
      api: `${this.#apiBase}/api`,
      version: '10',
      timeout: this.#timeoutMs,
      // The Temporal activity's retry policy does the waiting: a 429 throws at once, 5xx are not retried here.
      rejectOnRateLimit: () => true,
      retries: 0,
      // Report Discord's own Retry-After, without the SDK's safety margin added.
      offset: 0,
    }).setToken(this.#botToken);
  }

  async checkConnection(): Promise<ConnectionCheck> {
    const bot = await this.#send<APIUser>('check the bot token', () => this.#rest.get(Routes.user()));
    this.#botUserId = bot.id;
    return { accountId: bot.id, accountName: bot.username };
  }

  async listSpaces(): Promise<SpaceSummary[]> {
    const spaces: SpaceSummary[] = [];
    for (let after = '0'; ;) {
      const query = new URLSearchParams({ limit: String(GUILD_PAGE), after });
      const page = await this.#send<RESTGetAPICurrentUserGuildsResult>('list the bot’s servers', () =>
        this.#rest.get(Routes.userGuilds(), { query }),
      );
      spaces.push(...page.map((guild) => ({ id: guild.id, name: guild.name })));
      if (page.length < GUILD_PAGE) return spaces;
      after = page[page.length - 1]!.id;
    }
  }

  async checkSpace(spaceId: string, rolesInUse: string[]): Promise<SpaceCheck> {
    const notInGuild: HealthIssue = {
      code: 'bot_not_in_guild',
      message: 'The bot is not in this Discord server or cannot see it: invite it again with Manage Roles and Create Invite.',
    };
    let guild: APIGuild;
    try {
      guild = (await this.#rest.get(Routes.guild(spaceId))) as APIGuild;
    } catch (error) {
      if (hasCode(error, RESTJSONErrorCodes.MissingAccess) || hasCode(error, RESTJSONErrorCodes.UnknownGuild))
        return { name: null, issues: [notInGuild] };
      throw this.#failure(error, 'read the server');
    }
    const roles: SpaceRole[] = guild.roles
      .map((role) => ({ id: role.id, name: role.name, position: role.position, managed: role.managed }))
      .sort((a, b) => b.position - a.position);
    const botId = await this.#botId();
    const botMember = await this.#findMember(spaceId, botId, 'read the bot’s membership');
    if (!botMember) return { name: guild.name, issues: [notInGuild], roles };

    const byId = new Map(guild.roles.map((role) => [role.id, role]));
    // Guild permissions are @everyone's (its id is the guild's) plus every role the bot holds.
    const held = [guild.id, ...botMember.roles].reduce((all, id) => all | BigInt(byId.get(id)?.permissions ?? '0'), 0n);
    const isOwner = guild.owner_id === botId;
    const has = (flag: bigint) => isOwner || (held & PermissionFlagsBits.Administrator) !== 0n || (held & flag) === flag;
    const botTop = Math.max(0, ...botMember.roles.map((id) => byId.get(id)?.position ?? 0));
    const inUse = [...new Set(rolesInUse)];
    const nameOf = (ids: string[]) => ids.map((id) => `“${byId.get(id)?.name ?? id}”`).join(', ');

    const issues: HealthIssue[] = [];
    if (!has(PermissionFlagsBits.ManageRoles)) {
      issues.push({ code: 'missing_manage_roles', message: 'The bot lacks the Manage Roles permission, so it cannot give or take roles.' });
    }
    if (!has(PermissionFlagsBits.KickMembers)) {
      issues.push({
        code: 'missing_kick_members',
        message: 'The bot lacks the Kick Members permission: customers it added cannot be removed when their access ends.',
      });
    }
    if (!has(PermissionFlagsBits.CreateInstantInvite)) {
      issues.push({
        code: 'missing_create_instant_invite',
        message: 'The bot lacks the Create Invite permission, which Discord requires to add customers to the server.',
      });
    }
    const missing = inUse.filter((id) => !byId.has(id));
    if (missing.length > 0) {
      issues.push({
        code: 'role_missing',
        message: `${missing.length} role(s) that products grant no longer exist in the server: sync roles and update those products.`,
        roleIds: missing,
      });
    }
    const managed = inUse.filter((id) => byId.get(id)?.managed === true);
    if (managed.length > 0) {
      issues.push({
        code: 'managed_role',
        message: `${nameOf(managed)} belong(s) to an integration and cannot be assigned by the bot.`,
        roleIds: managed,
      });
    }
    // Discord lets a bot assign only roles strictly below its own highest role; only the owner is exempt.
    const above = isOwner ? [] : inUse.filter((id) => (byId.get(id)?.position ?? -1) >= botTop);
    if (above.length > 0) {
      issues.push({
        code: 'role_above_bot',
        message: `Move the bot’s role above ${nameOf(above)} in Server Settings → Roles: a bot can only assign roles below its highest role.`,
        roleIds: above,
      });
    }
    return { name: guild.name, issues, roles };
  }

  async grant(request: GrantRequest): Promise<GrantResult> {
    const { spaceId, roleIds, customer } = request;
    const userId = customer.userId;
    if (!userId) return AWAITING_AUTHORIZATION;
    if (!customer.accessToken) {
      if (!(await this.#findMember(spaceId, userId, 'look up the customer'))) return AWAITING_AUTHORIZATION;
      await this.#addRoles(spaceId, userId, roleIds);
      return { status: 'granted', memberId: userId, joinedByGrant: false };
    }
    const accessToken = customer.accessToken;
    let joinedByGrant: boolean;
    await request.beforeJoin(userId);
    try {
      // queueRequest hands back the response itself: 201 (member object) = added now, 204 = already a member.
      const response = await this.#rest.queueRequest({
        fullRoute: Routes.guildMember(spaceId, userId),
        method: RequestMethod.Put,
        body: { access_token: accessToken, roles: roleIds },
      });
      await response.arrayBuffer();
      joinedByGrant = response.status === 201;
    } catch (error) {
      const failure = this.#failure(error, 'add the customer to the server', 'bot', [accessToken]);
      // A stale token does not matter for a customer who is already in the server.
      if (failure.kind !== 'customer_action' || !(await this.#findMember(spaceId, userId, 'look up the customer'))) throw failure;
      joinedByGrant = false;
    }
    // Discord ignores `roles` when the user is already a member, so those get them one by one.
    if (!joinedByGrant) await this.#addRoles(spaceId, userId, roleIds);
    return { status: 'granted', memberId: userId, joinedByGrant };
  }

  async revoke(request: RevokeRequest): Promise<void> {
    const { spaceId, memberId } = request;
    if (memberId === null) return;
    for (const roleId of request.roleIds) {
      try {
        await this.#rest.delete(Routes.guildMemberRole(spaceId, memberId, roleId));
      } catch (error) {
        // Someone who left took their roles with them; a deleted role is off everyone already.
        if (hasCode(error, RESTJSONErrorCodes.UnknownMember)) return;
        if (hasCode(error, RESTJSONErrorCodes.UnknownRole)) continue;
        throw this.#failure(error, 'remove a role from the customer');
      }
    }
    if (!request.removeMember) return;
    try {
      await this.#rest.delete(Routes.guildMember(spaceId, memberId));
    } catch (error) {
      if (!hasCode(error, RESTJSONErrorCodes.UnknownMember)) throw this.#failure(error, 'remove the customer from the server');
    }
  }

  /** Where to send the customer to link Discord; `prompt=none` skips the consent screen for a returning customer. */
  authorizeUrl(params: { redirectUri: string; state: string }): string {
    const { clientId } = this.#oauthClient();
    const query = [
      ['client_id', clientId],
      ['response_type', 'code'],
      ['scope', CUSTOMER_SCOPES.join(' ')],
      ['redirect_uri', params.redirectUri],
      ['state', params.state],
      ['prompt', 'none'],
    ]
      .map(([key, value]) => `${key}=${encodeURIComponent(value!)}`)
      .join('&');
    return `${this.#apiBase}/oauth2/authorize?${query}`;
  }

  /** Trades the code Discord redirected back with for the customer's tokens and identity. */
  async exchangeCode(params: { code: string; redirectUri: string }): Promise<DiscordAuthorization> {
    const token = await this.#token(
      'exchange the Discord authorization code',
      { grant_type: 'authorization_code', code: params.code, redirect_uri: params.redirectUri },
      params.code,
    );
    const scopes = token.scope.split(' ').filter(Boolean);
    if (!scopes.includes(OAuth2Scopes.GuildsJoin)) {
      throw new CommunityPlatformError(
        'discord',
        'customer_action',
        'The Discord authorization does not include joining servers (guilds.join): the customer must authorize again and allow it.',
      );
    }
    const user = await this.#send<APIUser>(
      'read the customer’s Discord account',
      // auth: false keeps the bot token off this request, and a 401 here from clearing it in the SDK.
      () => this.#rest.get(Routes.user(), { auth: false, headers: { Authorization: `Bearer ${token.access_token}` } }),
      'customer',
      [token.access_token, token.refresh_token],
    );
    return {
      userId: user.id,
      username: user.username,
      accessToken: token.access_token,
      refreshToken: token.refresh_token,
      expiresAt: new Date(Date.now() + token.expires_in * 1000).toISOString(),
      scopes,
    };
  }

  /**
   * A new access token for a customer whose 7-day one ran out (the refresh token rotates: the
   * one given is spent). An invalid or spent refresh token is the customer's to fix: they authorize again.
   */
  async refreshAuthorization(refreshToken: string): Promise<Omit<DiscordAuthorization, 'userId' | 'username'>> {
    const token = await this.#token(
      'renew the customer’s Discord authorization',
      { grant_type: 'refresh_token', refresh_token: refreshToken },
      refreshToken,
    );
    return {
      accessToken: token.access_token,
      refreshToken: token.refresh_token,
      expiresAt: new Date(Date.now() + token.expires_in * 1000).toISOString(),
      scopes: token.scope.split(' ').filter(Boolean),
    };
  }

  /** POST /oauth2/token as our application; `secret` (the code or refresh token) is kept out of failures. */
  async #token(action: string, grant: Record<string, string>, secret: string): Promise<RESTPostOAuth2AccessTokenResult> {
    const { clientId, clientSecret } = this.#oauthClient();
    const form = new URLSearchParams({ client_id: clientId, client_secret: clientSecret, ...grant });
    return this.#send<RESTPostOAuth2AccessTokenResult>(
      action,
      () =>
        this.#rest.post(Routes.oauth2TokenExchange(), {
          auth: false,
          passThroughBody: true,
          body: form.toString(),
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        }),
      'bot',
      [secret],
    );
  }

  #oauthClient(): { clientId: string; clientSecret: string } {
    if (!this.#clientId || !this.#clientSecret)
      throw new CommunityPlatformError(
        'discord',
        'not_connected',
        "Discord OAuth2 is not configured: the bot needs its client id and secret (DISCORD_CLIENT_ID / DISCORD_CLIENT_SECRET, or the custom bot's)",
      );
    return { clientId: this.#clientId, clientSecret: this.#clientSecret };
  }

  async #botId(): Promise<string> {
    return this.#botUserId ?? (await this.checkConnection()).accountId;
  }

  /** The member, or null when the user is not in the guild. */
  async #findMember(spaceId: string, userId: string, action: string): Promise<APIGuildMember | null> {
    try {
      return (await this.#rest.get(Routes.guildMember(spaceId, userId))) as APIGuildMember;
    } catch (error) {
      if (hasCode(error, RESTJSONErrorCodes.UnknownMember)) return null;
      throw this.#failure(error, action);
    }
  }

  /** Adding a role the member already has is a 204 too, so repeating a grant is harmless. */
  async #addRoles(spaceId: string, userId: string, roleIds: string[]): Promise<void> {
    for (const roleId of roleIds) {
      await this.#send('give the customer a role', () => this.#rest.put(Routes.guildMemberRole(spaceId, userId, roleId)));
    }
  }

  async #send<T>(action: string, run: () => Promise<unknown>, audience: Audience = 'bot', secrets: string[] = []): Promise<T> {
    try {
      return (await run()) as T;
    } catch (error) {
      throw this.#failure(error, action, audience, secrets);
    }
  }

  /**
   * Classifies an SDK failure. The SDK's errors carry the request body (OAuth tokens, client
   * secret), so they never travel on as a cause; messages are built here and scrubbed.
   */
  #failure(error: unknown, action: string, audience: Audience = 'bot', secrets: string[] = []): CommunityPlatformError {
    const fail = (kind: CommunityFailureKind, message: string, options: { retryAfterMs?: number; platformCode?: string | number } = {}) =>
      new CommunityPlatformError('discord', kind, this.#scrub(`Discord: could not ${action}: ${message}`, secrets), options);
    if (error instanceof CommunityPlatformError) return error;
    if (error instanceof RateLimitError) {
      const retryAfterMs = error.retryAfter > 0 ? error.retryAfter : error.timeToReset;
      return fail('rate_limited', `rate limited (${error.global ? 'global' : error.scope} limit), retry in ${retryAfterMs} ms`, {
        retryAfterMs,
        platformCode: 429,
      });
    }
    if (error instanceof HTTPError) return fail('unavailable', `Discord answered HTTP ${error.status}`, { platformCode: error.status });
    if (error instanceof DiscordAPIError) {
      const detail = `${error.message} (${error.code})`;
      const options = { platformCode: error.code };
      if (error.status === 401) {
        // The SDK forgets its token after a 401; put it back so a later attempt reports the same failure.
        this.#rest.setToken(this.#botToken);
        return fail(
          audience === 'customer' ? 'customer_action' : 'not_connected',
          audience === 'customer'
            ? `the customer's Discord authorization is no longer valid: ${detail}`
            : `the bot token was rejected: ${detail}`,
          options,
        );
      }
      switch (error.code) {
        case RESTJSONErrorCodes.MissingPermissions:
          return fail('missing_permission', `the bot lacks a permission or its role is not above the role: ${detail}`, options);
        case RESTJSONErrorCodes.MissingAccess:
        case RESTJSONErrorCodes.UnknownGuild:
          return fail('not_connected', `the bot is not in the server or cannot see it: ${detail}`, options);
        case RESTJSONErrorCodes.UnknownRole:
          return fail('invalid_request', `the role does not exist in the server: ${detail}`, options);
        case RESTJSONErrorCodes.InvalidOAuth2AccessToken:
        case 'invalid_grant':
          return fail(
            'customer_action',
            `the customer's Discord authorization is invalid or expired, they must authorize again: ${detail}`,
            options,
          );
        case RESTJSONErrorCodes.MaximumNumberOfGuildsReached:
          return fail('customer_action', `the customer is in the most servers Discord allows and must leave one: ${detail}`, options);
        case RESTJSONErrorCodes.UnknownMember:
          return fail('customer_action', `the customer is not in the server: ${detail}`, options);
        case 'invalid_client':
          return fail('not_connected', `the Discord application's client id or secret was rejected: ${detail}`, options);
        default:
          return fail(error.status >= 500 ? 'unavailable' : 'invalid_request', detail, options);
      }
    }
    // Network failures come from undici (another realm under some runners), so match on shape, not instanceof.
    const { name, code } = typeof error === 'object' && error !== null ? (error as { name?: unknown; code?: unknown }) : {};
    if (name === 'AbortError' || name === 'TimeoutError') return fail('unavailable', `no answer within ${this.#timeoutMs} ms`);
    if (typeof code === 'string') return fail('unavailable', `network error ${code}`, { platformCode: code });
    throw error;
  }

  #scrub(message: string, secrets: string[]): string {
    return redactSecrets(message, [this.#botToken, this.#clientSecret, ...secrets]);
  }
}
