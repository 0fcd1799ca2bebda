import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PermissionFlagsBits, RESTJSONErrorCodes } from 'discord.js';

/**
 * Discord's REST API (v10) on loopback, with the real object shapes and the rules that bite
 * a role-granting bot: bot token, guild access, MANAGE_ROLES and the role hierarchy, the
 * guilds.join scope and CREATE_INSTANT_INVITE for adding members, Unknown Member / Role.
 * OAuth2 codes are issued by the test (standing in for the consent screen) and exchanged at
 * /oauth2/token. failNext() injects 429s with Discord's body and headers, or 5xx.
 */
export interface RecordedDiscordRequest {
  method: string;
  /** Relative to /api/v10, as Routes builds it: '/guilds/1/members/2'. */
  path: string;
  body: unknown;
  auth: 'bot' | 'bearer' | 'none';
}

export interface FakeRoleInput {
  id: string;
  name: string;
  position: number;
  permissions?: bigint;
  /** Integration-managed (a bot's own role, the booster role): nobody can assign it. */
  managed?: boolean;
}

type FakeRole = Required<FakeRoleInput>;
interface FakeMember {
  roles: string[];
  joinedAt: string;
}
interface FakeGuild {
  id: string;
  name: string;
  ownerId: string;
  roles: Map<string, FakeRole>;
  members: Map<string, FakeMember>;
}
interface FakeToken {
  userId: string;
  scopes: string[];
}
interface Failure {
  route: string;
  matches: (route: string) => boolean;
  status: number;
  retryAfterSeconds: number;
  global: boolean;
  times: number;
}
interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const ALL_PERMISSIONS = Object.values(PermissionFlagsBits).reduce((all, flag) => all | flag, 0n);
/** What Discord gives @everyone in a new server: view, chat, invite and the like. */
const DEFAULT_EVERYONE =
  PermissionFlagsBits.CreateInstantInvite |
  PermissionFlagsBits.ViewChannel |
  PermissionFlagsBits.SendMessages |
  PermissionFlagsBits.ReadMessageHistory |
  PermissionFlagsBits.AddReactions |
  PermissionFlagsBits.Connect |
  PermissionFlagsBits.Speak;
const error = (status: number, code: number, message: string): Reply => ({ status, body: { message, code } });
const UNAUTHORIZED = error(401, 0, '401: Unauthorized');
const NOT_FOUND = error(404, 0, '404: Not Found');
const MISSING_ACCESS = error(403, RESTJSONErrorCodes.MissingAccess, 'Missing Access');
const MISSING_PERMISSIONS = error(403, RESTJSONErrorCodes.MissingPermissions, 'Missing Permissions');
const UNKNOWN_MEMBER = error(404, RESTJSONErrorCodes.UnknownMember, 'Unknown Member');
const UNKNOWN_ROLE = error(404, RESTJSONErrorCodes.UnknownRole, 'Unknown Role');
const INVALID_ACCESS_TOKEN = error(403, RESTJSONErrorCodes.InvalidOAuth2AccessToken, 'Invalid OAuth2 access token');

export async function startDiscord(options: { botToken?: string; clientId?: string; clientSecret?: string } = {}) {
  const botToken = options.botToken ?? 'MTEwMDAwMDAwMDAwMDAwMDk5OQ.GfAkEb.sellflow-fake-bot-token-0000000000000';
  const clientId = options.clientId ?? '1100000000000000999';
  const clientSecret = options.clientSecret ?? 'fake-client-secret-5d1e8c0f';
  const botUserId = clientId;
  const users = new Map<string, { id: string; username: string; bot?: boolean }>([
    [botUserId, { id: botUserId, username: 'Sellflow', bot: true }],
  ]);
  const guilds = new Map<string, FakeGuild>();
  const tokens = new Map<string, FakeToken>();
  const codes = new Map<string, FakeToken & { redirectUri: string | null }>();
  const refreshTokens = new Map<string, FakeToken>();
  const requests: RecordedDiscordRequest[] = [];
  const failures: Failure[] = [];
  const lostReplies: { route: string; times: number }[] = [];
  const secret = (prefix: string) => `${prefix}${randomBytes(15).toString('base64url')}`;

  const guildOf = (id: string) => {
    const guild = guilds.get(id);
    if (!guild) throw new Error(`no guild ${id}`);
    return guild;
  };
  const highestPosition = (guild: FakeGuild, userId: string) =>
    Math.max(0, ...(guild.members.get(userId)?.roles ?? []).map((id) => guild.roles.get(id)?.position ?? 0));
  const botPermissions = (guild: FakeGuild) => {
    if (guild.ownerId === botUserId) return ALL_PERMISSIONS;
    const held = [guild.id, ...(guild.members.get(botUserId)?.roles ?? [])].reduce(
      (all, id) => all | (guild.roles.get(id)?.permissions ?? 0n),
      0n,
    );
    return held & PermissionFlagsBits.Administrator ? ALL_PERMISSIONS : held;
  };
  const botHas = (guild: FakeGuild, flag: bigint) => (botPermissions(guild) & flag) === flag;
  /** Discord's rule: MANAGE_ROLES, and only roles strictly below the bot's highest (the owner is exempt). */
  const canAssign = (guild: FakeGuild, role: FakeRole) =>
    !role.managed &&
    (guild.ownerId === botUserId || (botHas(guild, PermissionFlagsBits.ManageRoles) && role.position < highestPosition(guild, botUserId)));

  const userJson = (id: string) => {
    const user = users.get(id) ?? { id, username: `user${id.slice(-4)}` };
    return {
      id,
      username: user.username,
      discriminator: '0',
      global_name: user.bot ? null : user.username,
      avatar: null,
      public_flags: 0,
      ...(user.bot ? { bot: true } : {}),
    };
  };
  const roleJson = (role: FakeRole) => ({
    id: role.id,
    name: role.name,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position: role.position,
    permissions: role.permissions.toString(),
    managed: role.managed,
    mentionable: false,
    flags: 0,
    ...(role.managed ? { tags: { bot_id: '1100000000000000777' } } : {}),
  });
  const memberJson = (userId: string, member: FakeMember) => ({
    user: userJson(userId),
    nick: null,
    avatar: null,
    banner: null,
    roles: member.roles,
    joined_at: member.joinedAt,
    premium_since: null,
    deaf: false,
    mute: false,
    flags: 0,
    pending: false,
    communication_disabled_until: null,
  });
  const guildJson = (guild: FakeGuild) => ({
    id: guild.id,
    name: guild.name,
    icon: null,
    splash: null,
    banner: null,
    description: null,
    owner_id: guild.ownerId,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 1,
    default_message_notifications: 1,
    explicit_content_filter: 2,
    mfa_level: 0,
    premium_tier: 0,
    preferred_locale: 'en-US',
    features: [],
    roles: [...guild.roles.values()].map(roleJson),
    emojis: [],
    stickers: [],
  });

  /** Guild routes: the bot must be in the guild (Discord answers Missing Access otherwise). */
  function guildRoute(method: string, guild: FakeGuild, rest: string, body: Record<string, unknown>): Reply {
    if (!guild.members.has(botUserId)) return MISSING_ACCESS;
    if (method === 'GET' && rest === '') return { status: 200, body: guildJson(guild) };
    if (method === 'GET' && rest === '/roles') return { status: 200, body: [...guild.roles.values()].map(roleJson) };
    const memberRoute = rest.match(/^\/members\/(\d+)(?:\/roles\/(\d+))?$/);
    if (!memberRoute) return NOT_FOUND;
    const [, userId = '', roleId] = memberRoute;
    const member = guild.members.get(userId);
    if (roleId !== undefined) {
      if (method !== 'PUT' && method !== 'DELETE') return NOT_FOUND;
      if (!member) return UNKNOWN_MEMBER;
      const role = guild.roles.get(roleId);
      if (!role) return UNKNOWN_ROLE;
      if (!canAssign(guild, role)) return MISSING_PERMISSIONS;
      member.roles = member.roles.filter((id) => id !== roleId);
      if (method === 'PUT') member.roles.push(roleId);
      return { status: 204 };
    }
    if (method === 'GET') return member ? { status: 200, body: memberJson(userId, member) } : UNKNOWN_MEMBER;
    if (method === 'DELETE') {
      if (!member) return UNKNOWN_MEMBER;
      if (
        !botHas(guild, PermissionFlagsBits.KickMembers) ||
        userId === guild.ownerId ||
        highestPosition(guild, userId) >= highestPosition(guild, botUserId)
      )
        return MISSING_PERMISSIONS;
      guild.members.delete(userId);
      return { status: 204 };
    }
    if (method !== 'PUT') return NOT_FOUND;
    // Add Guild Member: the customer's token must be for this user, carry guilds.join, and the bot must be able to invite.
    const token = typeof body.access_token === 'string' ? tokens.get(body.access_token) : undefined;
    if (!token || token.userId !== userId || !token.scopes.includes('guilds.join')) return INVALID_ACCESS_TOKEN;
    if (member) return { status: 204 };
    if (!botHas(guild, PermissionFlagsBits.CreateInstantInvite)) return MISSING_PERMISSIONS;
    const roleIds = Array.isArray(body.roles) ? body.roles.map(String) : [];
    for (const roleId of roleIds) {
      const role = guild.roles.get(roleId);
      if (!role) return UNKNOWN_ROLE;
      if (!canAssign(guild, role)) return MISSING_PERMISSIONS;
    }
    const added = { roles: [...new Set(roleIds)], joinedAt: new Date().toISOString() };
    guild.members.set(userId, added);
    return { status: 201, body: memberJson(userId, added) };
  }

  function oauthToken(form: URLSearchParams, basic: string | null): Reply {
    const [id, key] = basic ? Buffer.from(basic, 'base64').toString().split(':') : [form.get('client_id'), form.get('client_secret')];
    if (id !== clientId || key !== clientSecret) return { status: 401, body: { error: 'invalid_client' } };
    let issued: FakeToken | undefined;
    if (form.get('grant_type') === 'authorization_code') {
      const code = codes.get(form.get('code') ?? '');
      if (!code || (code.redirectUri !== null && code.redirectUri !== form.get('redirect_uri')))
        return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid "code" in request.' } };
      codes.delete(form.get('code') ?? '');
      issued = code;
    } else if (form.get('grant_type') === 'refresh_token') {
      // Refresh tokens rotate: each one is good for one refresh.
      issued = refreshTokens.get(form.get('refresh_token') ?? '');
      if (!issued) return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid "refresh_token" in request.' } };
      refreshTokens.delete(form.get('refresh_token') ?? '');
    } else {
      return { status: 400, body: { error: 'unsupported_grant_type' } };
    }
    const accessToken = secret('at_');
    const refreshToken = secret('rt_');
    tokens.set(accessToken, { userId: issued.userId, scopes: issued.scopes });
    refreshTokens.set(refreshToken, { userId: issued.userId, scopes: issued.scopes });
    return {
      status: 200,
      body: {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: 604800,
        refresh_token: refreshToken,
        scope: issued.scopes.join(' '),
      },
    };
  }

  function handle(method: string, path: string, authorization: string, body: Record<string, unknown>, form: URLSearchParams): Reply {
    if (method === 'POST' && path === '/oauth2/token')
      return oauthToken(form, authorization.startsWith('Basic ') ? authorization.slice(6) : null);
    const bearer = authorization.startsWith('Bearer ') ? tokens.get(authorization.slice(7)) : undefined;
    const bot = authorization === `Bot ${botToken}`;
    if (method === 'GET' && path === '/users/@me') {
      if (bearer?.scopes.includes('identify'))
        return { status: 200, body: { ...userJson(bearer.userId), flags: 0, locale: 'en-US', mfa_enabled: false, premium_type: 0 } };
      return bot ? { status: 200, body: { ...userJson(botUserId), flags: 0, verified: true, mfa_enabled: false } } : UNAUTHORIZED;
    }
    if (!bot) return UNAUTHORIZED;
    if (method === 'GET' && path.startsWith('/users/@me/guilds')) {
      const query = new URL(path, 'http://discord.test').searchParams;
      const after = BigInt(query.get('after') ?? '0');
      return {
        status: 200,
        body: [...guilds.values()]
          .filter((g) => g.members.has(botUserId) && BigInt(g.id) > after)
          .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1))
          .slice(0, Number(query.get('limit') ?? 200))
          .map((g) => ({
            id: g.id,
            name: g.name,
            icon: null,
            banner: null,
            owner: g.ownerId === botUserId,
            permissions: botPermissions(g).toString(),
            features: [],
          })),
      };
    }
    const guildPath = path.match(/^\/guilds\/(\d+)(\/.*)?$/);
    if (!guildPath) return NOT_FOUND;
    const guild = guilds.get(guildPath[1]!);
    return guild ? guildRoute(method, guild, guildPath[2] ?? '', body) : error(404, RESTJSONErrorCodes.UnknownGuild, 'Unknown Guild');
  }

  function injected(failure: Failure): Reply {
    if (failure.status !== 429)
      return { status: failure.status, body: { message: `${failure.status}: ${http.STATUS_CODES[failure.status] ?? 'Error'}`, code: 0 } };
    const seconds = failure.retryAfterSeconds;
    const headers: Record<string, string> = {
      // Discord rounds the header up to whole seconds; the body keeps the float.
      'retry-after': String(Math.ceil(seconds)),
      'x-ratelimit-limit': '10',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': (Date.now() / 1000 + seconds).toFixed(3),
      'x-ratelimit-reset-after': seconds.toFixed(3),
      'x-ratelimit-bucket': createHash('sha1').update(failure.route).digest('hex').slice(0, 32),
      'x-ratelimit-scope': failure.global ? 'global' : 'user',
      ...(failure.global ? { 'x-ratelimit-global': 'true' } : {}),
    };
    return { status: 429, headers, body: { message: 'You are being rate limited.', retry_after: seconds, global: failure.global } };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString();
      const method = req.method ?? 'GET';
      const authorization = req.headers.authorization ?? '';
      const isForm = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
      const form = new URLSearchParams(isForm ? raw : '');
      const body: unknown = isForm ? Object.fromEntries(form) : raw ? JSON.parse(raw) : undefined;
      const url = req.url ?? '/';
      const path = url.startsWith('/api/v10/') ? url.slice('/api/v10'.length) : url;
      requests.push({
        method,
        path: path.split('?')[0]!,
        body,
        auth: authorization.startsWith('Bot ') ? 'bot' : authorization.startsWith('Bearer ') ? 'bearer' : 'none',
      });
      const failure = failures.find((f) => f.times > 0 && f.matches(`${method} ${path.split('?')[0]}`));
      if (failure) failure.times -= 1;
      const reply = failure
        ? injected(failure)
        : url === path
          ? NOT_FOUND
          : handle(method, path, authorization, typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}, form);
      const lost = lostReplies.find((l) => l.times > 0 && l.route === `${method} ${path.split('?')[0]}`);
      if (lost && !failure) {
        // Done, but the answer never arrives: the connection drops as a dying worker's would.
        lost.times -= 1;
        res.socket?.destroy();
        return;
      }
      res.writeHead(reply.status, { ...(reply.body === undefined ? {} : { 'content-type': 'application/json' }), ...reply.headers });
      res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    /** Like https://discord.com: the REST API is under /api/v10. */
    apiBase: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    botToken,
    botUserId,
    clientId,
    clientSecret,
    requests,
    /** A guild with @everyone (id = guild id, position 0) plus `roles`; the bot is in it with botRoleIds unless botInGuild is false. */
    addGuild(guild: {
      id: string;
      name: string;
      roles?: FakeRoleInput[];
      botRoleIds?: string[];
      botInGuild?: boolean;
      everyonePermissions?: bigint;
      ownerId?: string;
    }) {
      const everyone: FakeRole = {
        id: guild.id,
        name: '@everyone',
        position: 0,
        permissions: guild.everyonePermissions ?? DEFAULT_EVERYONE,
        managed: false,
      };
      const roles = [everyone, ...(guild.roles ?? []).map((r) => ({ permissions: 0n, managed: false, ...r }))];
      const members = new Map<string, FakeMember>();
      if (guild.botInGuild !== false) members.set(botUserId, { roles: guild.botRoleIds ?? [], joinedAt: new Date().toISOString() });
      guilds.set(guild.id, {
        id: guild.id,
        name: guild.name,
        ownerId: guild.ownerId ?? '1100000000000000555',
        roles: new Map(roles.map((r) => [r.id, r])),
        members,
      });
    },
    setRolePosition(guildId: string, roleId: string, position: number) {
      guildOf(guildId).roles.get(roleId)!.position = position;
    },
    setRolePermissions(guildId: string, roleId: string, permissions: bigint) {
      guildOf(guildId).roles.get(roleId)!.permissions = permissions;
    },
    deleteRole(guildId: string, roleId: string) {
      const guild = guildOf(guildId);
      guild.roles.delete(roleId);
      for (const member of guild.members.values()) member.roles = member.roles.filter((id) => id !== roleId);
    },
    addMember(guildId: string, userId: string, roleIds: string[] = [], username?: string) {
      if (username) users.set(userId, { id: userId, username });
      guildOf(guildId).members.set(userId, { roles: [...roleIds], joinedAt: new Date().toISOString() });
    },
    removeMember(guildId: string, userId: string) {
      guildOf(guildId).members.delete(userId);
    },
    /** The member's role ids, or null when they are not in the guild. */
    member(guildId: string, userId: string): string[] | null {
      return guildOf(guildId).members.get(userId)?.roles.slice() ?? null;
    },
    /** What the consent screen would redirect back with; single use, like Discord's. */
    issueAuthorizationCode(grant: { userId: string; username: string; scopes: string[]; redirectUri?: string }) {
      users.set(grant.userId, { id: grant.userId, username: grant.username });
      const code = secret('');
      codes.set(code, { userId: grant.userId, scopes: grant.scopes, redirectUri: grant.redirectUri ?? null });
      return code;
    },
    /** The user's access tokens stop working, as Discord's do after 7 days; refresh tokens still do. */
    expireAccessTokens(userId: string) {
      for (const [token, owner] of tokens) if (owner.userId === userId) tokens.delete(token);
    },
    /** A customer access token straight away, for grant tests that skip the code exchange. */
    issueAccessToken(grant: { userId: string; username: string; scopes: string[] }) {
      users.set(grant.userId, { id: grant.userId, username: grant.username });
      const token = secret('at_');
      tokens.set(token, { userId: grant.userId, scopes: grant.scopes });
      return token;
    },
    /**
     * The next `times` requests matching `route` ('PUT /guilds/1/members/2', or a RegExp tested
     * against 'METHOD /path') answer `status`: a 429 carries Discord's body and headers.
     */
    failNext(route: RegExp | string, failure: { status: number; retryAfterSeconds?: number; times?: number; global?: boolean }) {
      const matches = typeof route === 'string' ? (r: string) => r === route : (r: string) => route.test(r);
      failures.push({
        route: String(route),
        matches,
        status: failure.status,
        retryAfterSeconds: failure.retryAfterSeconds ?? 1,
        global: failure.global ?? false,
        times: failure.times ?? 1,
      });
    },
    /** The next `times` requests to `route` ('PUT /guilds/1/members/2') take effect, but their connection drops before the reply. */
    loseReplyNext(route: string, times = 1) {
      lostReplies.push({ route, times });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type FakeDiscord = Awaited<ReturnType<typeof startDiscord>>;
