import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { PermissionFlagsBits } from 'discord.js';
import { DiscordAdapter } from '../../src/community/discord/discord-adapter';
import { CommunityPlatformError, type CustomerIdentity, type GrantRequest } from '../../src/community/platform';
import { startDiscord, type FakeDiscord } from '../fakes/discord';

const GUILD = '1200000000000000001';
const OTHER_GUILD = '1200000000000000002';
const BOT_ROLE = '1200000000000000010';
const MEMBER_ROLE = '1200000000000000011';
const VIP_ROLE = '1200000000000000012';
const STAFF_ROLE = '1200000000000000013';
const BOOSTER_ROLE = '1200000000000000014';
const CUSTOMER = '1300000000000000001';
const OTHER_USER = '1300000000000000002';
const REDIRECT_URI = 'https://shop.example.com/community/discord/callback';
const BOT_PERMISSIONS = PermissionFlagsBits.ManageRoles | PermissionFlagsBits.CreateInstantInvite | PermissionFlagsBits.KickMembers;
const NO_PERMISSIONS = 0n;

/** What a call rejected with, for asserting on fields. */
async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

/** A seller's server: the bot's role sits at 5, the roles products grant below it, Staff above it. */
function addShopGuild(
  discord: FakeDiscord,
  overrides: { botPermissions?: bigint; everyonePermissions?: bigint; botInGuild?: boolean } = {},
) {
  discord.addGuild({
    id: GUILD,
    name: 'Trading Floor',
    everyonePermissions: overrides.everyonePermissions ?? NO_PERMISSIONS,
    botInGuild: overrides.botInGuild,
    botRoleIds: [BOT_ROLE],
    roles: [
      { id: BOOSTER_ROLE, name: 'Server Booster', position: 1, managed: true },
      { id: MEMBER_ROLE, name: 'Member', position: 2 },
      { id: VIP_ROLE, name: 'VIP', position: 3 },
      { id: BOT_ROLE, name: 'Sellflow', position: 5, permissions: overrides.botPermissions ?? BOT_PERMISSIONS, managed: true },
      { id: STAFF_ROLE, name: 'Staff', position: 7 },
    ],
  });
}

describe('DiscordAdapter against a fake Discord', () => {
  let discord: FakeDiscord;
  let adapter: DiscordAdapter;
  const customer = (identity: Partial<CustomerIdentity>): CustomerIdentity => ({
    userId: null,
    accessToken: null,
    email: null,
    phone: null,
    ...identity,
  });
  const grantRequest = (identity: Partial<CustomerIdentity>, roleIds = [MEMBER_ROLE, VIP_ROLE]): GrantRequest => ({
    grantId: 41,
    spaceId: GUILD,
    roleIds,
    customer: customer(identity),
    inviteUrl: null,
    beforeJoin: async () => undefined,
  });
  const joinToken = (scopes = ['identify', 'guilds.join']) => discord.issueAccessToken({ userId: CUSTOMER, username: 'alice', scopes });

  beforeEach(async () => {
    discord = await startDiscord();
    adapter = new DiscordAdapter({
      apiBase: discord.apiBase,
      botToken: discord.botToken,
      clientId: discord.clientId,
      clientSecret: discord.clientSecret,
    });
    addShopGuild(discord);
  });
  afterEach(() => discord.close());

  describe('grant', () => {
    it('adds a new member with the roles in one request when the customer authorized guilds.join', async () => {
      const accessToken = joinToken();
      const result = await adapter.grant(grantRequest({ userId: CUSTOMER, accessToken }));

      expect(result).toEqual({ status: 'granted', memberId: CUSTOMER, joinedByGrant: true });
      expect(discord.member(GUILD, CUSTOMER)).toEqual([MEMBER_ROLE, VIP_ROLE]);
      expect(discord.requests).toEqual([
        {
          method: 'PUT',
          path: `/guilds/${GUILD}/members/${CUSTOMER}`,
          body: { access_token: accessToken, roles: [MEMBER_ROLE, VIP_ROLE] },
          auth: 'bot',
        },
      ]);
    });

    it('gives an existing member the roles one by one, and a repeat grant changes nothing', async () => {
      discord.addMember(GUILD, CUSTOMER, [MEMBER_ROLE]);
      const request = grantRequest({ userId: CUSTOMER, accessToken: joinToken() });

      expect(await adapter.grant(request)).toEqual({ status: 'granted', memberId: CUSTOMER, joinedByGrant: false });
      expect(discord.member(GUILD, CUSTOMER)).toEqual([MEMBER_ROLE, VIP_ROLE]);
      expect(discord.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        `PUT /guilds/${GUILD}/members/${CUSTOMER}`,
        `PUT /guilds/${GUILD}/members/${CUSTOMER}/roles/${MEMBER_ROLE}`,
        `PUT /guilds/${GUILD}/members/${CUSTOMER}/roles/${VIP_ROLE}`,
      ]);

      expect(await adapter.grant(request)).toEqual({ status: 'granted', memberId: CUSTOMER, joinedByGrant: false });
      expect(discord.member(GUILD, CUSTOMER)).toEqual([MEMBER_ROLE, VIP_ROLE]);
    });

    it('records the member just before the call that adds them, and calls nothing when recording refuses', async () => {
      const recorded: { memberId: string; requestsBefore: number }[] = [];
      const request = {
        ...grantRequest({ userId: CUSTOMER, accessToken: joinToken() }),
        beforeJoin: async (memberId: string) => void recorded.push({ memberId, requestsBefore: discord.requests.length }),
      };
      expect(await adapter.grant(request)).toMatchObject({ status: 'granted', joinedByGrant: true });
      expect(recorded).toEqual([{ memberId: CUSTOMER, requestsBefore: 0 }]);

      const revokedMeanwhile = {
        ...grantRequest({
          userId: OTHER_USER,
          accessToken: discord.issueAccessToken({ userId: OTHER_USER, username: 'bob', scopes: ['identify', 'guilds.join'] }),
        }),
        beforeJoin: () => Promise.reject(new Error('the grant was revoked')),
      };
      await expect(adapter.grant(revokedMeanwhile)).rejects.toThrow('the grant was revoked');
      expect(discord.requests).toHaveLength(1);
      expect(discord.member(GUILD, OTHER_USER)).toBeNull();
    });

    it('without a token, gives roles to a member and waits for an unknown one to authorize', async () => {
      const reason = 'The customer must authorize Discord (guilds.join) to be added to the server';
      expect(await adapter.grant(grantRequest({ userId: CUSTOMER }))).toEqual({ status: 'awaiting_customer', reason, inviteUrl: null });
      expect(await adapter.grant(grantRequest({}))).toEqual({ status: 'awaiting_customer', reason, inviteUrl: null });
      expect(discord.member(GUILD, CUSTOMER)).toBeNull();

      discord.addMember(GUILD, CUSTOMER);
      expect(await adapter.grant(grantRequest({ userId: CUSTOMER }))).toEqual({
        status: 'granted',
        memberId: CUSTOMER,
        joinedByGrant: false,
      });
      expect(discord.member(GUILD, CUSTOMER)).toEqual([MEMBER_ROLE, VIP_ROLE]);
    });

    it('fails with missing_permission when a role sits above the bot’s', async () => {
      const error = await failureOf(adapter.grant(grantRequest({ userId: CUSTOMER, accessToken: joinToken() }, [MEMBER_ROLE, STAFF_ROLE])));
      expect(error).toBeInstanceOf(CommunityPlatformError);
      expect(error).toMatchObject({ platform: 'discord', kind: 'missing_permission', retryable: false, options: { platformCode: 50013 } });
      expect(discord.member(GUILD, CUSTOMER)).toBeNull();

      // Same rule for a member who is already in: the role the bot may give lands, Staff does not.
      discord.addMember(GUILD, CUSTOMER);
      expect(await failureOf(adapter.grant(grantRequest({ userId: CUSTOMER }, [MEMBER_ROLE, STAFF_ROLE])))).toMatchObject({
        kind: 'missing_permission',
      });
      expect(discord.member(GUILD, CUSTOMER)).toEqual([MEMBER_ROLE]);
    });

    it('fails with not_connected when the bot is not in the server, and invalid_request for a deleted role', async () => {
      discord.addGuild({ id: OTHER_GUILD, name: 'Elsewhere', botInGuild: false });
      const elsewhere = { ...grantRequest({ userId: CUSTOMER, accessToken: joinToken() }), spaceId: OTHER_GUILD };
      expect(await failureOf(adapter.grant(elsewhere))).toMatchObject({ kind: 'not_connected', options: { platformCode: 50001 } });

      discord.addMember(GUILD, CUSTOMER);
      discord.deleteRole(GUILD, VIP_ROLE);
      expect(await failureOf(adapter.grant(grantRequest({ userId: CUSTOMER })))).toMatchObject({
        kind: 'invalid_request',
        options: { platformCode: 10011 },
      });
    });

    it('asks the customer to act when their token lacks guilds.join, unless they are already in', async () => {
      const identifyOnly = joinToken(['identify']);
      const error = await failureOf(adapter.grant(grantRequest({ userId: CUSTOMER, accessToken: identifyOnly })));
      expect(error).toMatchObject({ kind: 'customer_action', options: { platformCode: 50025 } });
      expect((error as Error).message).not.toContain(identifyOnly);

      discord.addMember(GUILD, CUSTOMER);
      expect(await adapter.grant(grantRequest({ userId: CUSTOMER, accessToken: identifyOnly }))).toEqual({
        status: 'granted',
        memberId: CUSTOMER,
        joinedByGrant: false,
      });
      expect(discord.member(GUILD, CUSTOMER)).toEqual([MEMBER_ROLE, VIP_ROLE]);
    });

    it('fails with missing_permission when the bot cannot create invites (Discord requires it to add members)', async () => {
      discord.setRolePermissions(GUILD, BOT_ROLE, PermissionFlagsBits.ManageRoles);
      expect(await failureOf(adapter.grant(grantRequest({ userId: CUSTOMER, accessToken: joinToken() })))).toMatchObject({
        kind: 'missing_permission',
      });
    });
  });

  describe('rate limits and outages', () => {
    it('turns a 429 into rate_limited with Discord’s retry_after, without the SDK retrying or sleeping', async () => {
      discord.failNext(/^PUT \/guilds\/\d+\/members\/\d+$/, { status: 429, retryAfterSeconds: 7 });
      const started = Date.now();
      const error = await failureOf(adapter.grant(grantRequest({ userId: CUSTOMER, accessToken: joinToken() })));

      expect(error).toBeInstanceOf(CommunityPlatformError);
      expect(error).toMatchObject({ kind: 'rate_limited', retryable: true, retryAfterMs: 7_000 });
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(discord.requests).toHaveLength(1);
      expect(discord.member(GUILD, CUSTOMER)).toBeNull();
    });

    it('reports a global rate limit the same way', async () => {
      discord.failNext(`GET /users/@me`, { status: 429, retryAfterSeconds: 2, global: true });
      expect(await failureOf(adapter.checkConnection())).toMatchObject({
        kind: 'rate_limited',
        retryAfterMs: 2_000,
        message: expect.stringContaining('global'),
      });
    });

    it('turns 5xx and an unreachable API into unavailable, one attempt each', async () => {
      discord.addMember(GUILD, CUSTOMER);
      discord.failNext(`PUT /guilds/${GUILD}/members/${CUSTOMER}/roles/${MEMBER_ROLE}`, { status: 502 });
      expect(await failureOf(adapter.grant(grantRequest({ userId: CUSTOMER })))).toMatchObject({
        kind: 'unavailable',
        retryable: true,
        options: { platformCode: 502 },
      });
      expect(discord.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);

      const unreachable = new DiscordAdapter({ apiBase: 'http://127.0.0.1:9', botToken: discord.botToken, timeoutMs: 2_000 });
      expect(await failureOf(unreachable.checkConnection())).toMatchObject({
        kind: 'unavailable',
        options: { platformCode: 'ECONNREFUSED' },
      });

      // An API that accepts the connection and never answers: the adapter's timeout, no SDK retry.
      let attempts = 0;
      const silent = http.createServer(() => {
        attempts += 1;
      });
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      try {
        const hanging = new DiscordAdapter({
          apiBase: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
          botToken: discord.botToken,
          timeoutMs: 200,
        });
        expect(await failureOf(hanging.checkConnection())).toMatchObject({
          kind: 'unavailable',
          message: expect.stringContaining('200 ms'),
        });
        expect(attempts).toBe(1);
      } finally {
        silent.closeAllConnections();
        silent.close();
      }
    });
  });

  describe('revoke', () => {
    const revokeRequest = (removeMember: boolean, roleIds = [MEMBER_ROLE, VIP_ROLE]) => ({
      grantId: 41,
      spaceId: GUILD,
      roleIds,
      memberId: CUSTOMER,
      removeMember,
      inviteUrl: null,
    });

    it('removes only the granted roles when the customer was already a member', async () => {
      discord.addMember(GUILD, CUSTOMER, [MEMBER_ROLE, VIP_ROLE, BOOSTER_ROLE]);
      await adapter.revoke(revokeRequest(false));
      expect(discord.member(GUILD, CUSTOMER)).toEqual([BOOSTER_ROLE]);
      expect(discord.requests.some((r) => r.method === 'DELETE' && r.path === `/guilds/${GUILD}/members/${CUSTOMER}`)).toBe(false);
    });

    it('removes the roles and kicks the member the grant added', async () => {
      discord.addMember(GUILD, CUSTOMER, [MEMBER_ROLE, VIP_ROLE]);
      await adapter.revoke(revokeRequest(true));
      expect(discord.member(GUILD, CUSTOMER)).toBeNull();
      expect(discord.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        `DELETE /guilds/${GUILD}/members/${CUSTOMER}/roles/${MEMBER_ROLE}`,
        `DELETE /guilds/${GUILD}/members/${CUSTOMER}/roles/${VIP_ROLE}`,
        `DELETE /guilds/${GUILD}/members/${CUSTOMER}`,
      ]);
    });

    it('succeeds for a member who already left and for a role that was deleted', async () => {
      await adapter.revoke(revokeRequest(true));
      await adapter.revoke(revokeRequest(false));

      discord.addMember(GUILD, CUSTOMER, [MEMBER_ROLE, VIP_ROLE]);
      discord.deleteRole(GUILD, MEMBER_ROLE);
      await adapter.revoke(revokeRequest(false, [MEMBER_ROLE, VIP_ROLE]));
      expect(discord.member(GUILD, CUSTOMER)).toEqual([]);
    });

    it('fails with missing_permission when the bot may not take the role', async () => {
      discord.addMember(GUILD, CUSTOMER, [STAFF_ROLE]);
      expect(await failureOf(adapter.revoke(revokeRequest(false, [STAFF_ROLE])))).toMatchObject({ kind: 'missing_permission' });
      expect(discord.member(GUILD, CUSTOMER)).toEqual([STAFF_ROLE]);
    });
  });

  describe('connection and servers', () => {
    it('checks the bot token and lists the servers the bot is in', async () => {
      discord.addGuild({ id: OTHER_GUILD, name: 'Elsewhere', botInGuild: false });
      expect(await adapter.checkConnection()).toEqual({ accountId: discord.botUserId, accountName: 'Sellflow' });
      expect(await adapter.listSpaces()).toEqual([{ id: GUILD, name: 'Trading Floor' }]);
    });

    it('fails with not_connected on a bad bot token, without echoing it', async () => {
      const badToken = 'MTEwMDAwMDAwMDAwMDAwMDk5OQ.Gwrong.not-the-real-bot-token-xxxxxxxxxxx';
      const wrong = new DiscordAdapter({ apiBase: discord.apiBase, botToken: badToken });
      const error = await failureOf(wrong.checkConnection());
      expect(error).toMatchObject({ kind: 'not_connected', options: { platformCode: 0 } });
      expect(inspect(error)).not.toContain(badToken);
      // The SDK drops its token after a 401; the adapter still classifies the next attempt.
      expect(await failureOf(wrong.listSpaces())).toMatchObject({ kind: 'not_connected' });
    });
  });

  describe('checkSpace', () => {
    it('returns the roles and no issues for a healthy setup', async () => {
      const check = await adapter.checkSpace(GUILD, [MEMBER_ROLE, VIP_ROLE]);
      expect(check.name).toBe('Trading Floor');
      expect(check.issues).toEqual([]);
      expect(check.roles).toEqual([
        { id: STAFF_ROLE, name: 'Staff', position: 7, managed: false },
        { id: BOT_ROLE, name: 'Sellflow', position: 5, managed: true },
        { id: VIP_ROLE, name: 'VIP', position: 3, managed: false },
        { id: MEMBER_ROLE, name: 'Member', position: 2, managed: false },
        { id: BOOSTER_ROLE, name: 'Server Booster', position: 1, managed: true },
        { id: GUILD, name: '@everyone', position: 0, managed: false },
      ]);
    });

    it('names exactly the roles at or above the bot’s highest role, the deleted ones and the managed ones', async () => {
      discord.setRolePosition(GUILD, VIP_ROLE, 5);
      const check = await adapter.checkSpace(GUILD, [MEMBER_ROLE, VIP_ROLE, STAFF_ROLE, '1200000000000000099', BOOSTER_ROLE]);
      expect(check.issues).toEqual([
        { code: 'role_missing', message: expect.stringContaining('no longer exist'), roleIds: ['1200000000000000099'] },
        { code: 'managed_role', message: expect.stringContaining('Server Booster'), roleIds: [BOOSTER_ROLE] },
        { code: 'role_above_bot', message: expect.stringMatching(/“VIP”, “Staff”/), roleIds: [VIP_ROLE, STAFF_ROLE] },
      ]);
    });

    it('reports missing Manage Roles and Create Invite, which Administrator implies', async () => {
      discord.setRolePermissions(GUILD, BOT_ROLE, PermissionFlagsBits.KickMembers);
      expect((await adapter.checkSpace(GUILD, [])).issues.map((i) => i.code)).toEqual([
        'missing_manage_roles',
        'missing_create_instant_invite',
      ]);

      // @everyone's permissions count for the bot too.
      discord.setRolePermissions(GUILD, GUILD, PermissionFlagsBits.CreateInstantInvite);
      expect((await adapter.checkSpace(GUILD, [])).issues.map((i) => i.code)).toEqual(['missing_manage_roles']);

      discord.setRolePermissions(GUILD, BOT_ROLE, PermissionFlagsBits.Administrator);
      discord.setRolePermissions(GUILD, GUILD, NO_PERMISSIONS);
      expect((await adapter.checkSpace(GUILD, [STAFF_ROLE])).issues.map((i) => i.code)).toEqual(['role_above_bot']);
    });

    it('reports bot_not_in_guild for a server the bot cannot see', async () => {
      discord.addGuild({ id: OTHER_GUILD, name: 'Elsewhere', botInGuild: false });
      expect(await adapter.checkSpace(OTHER_GUILD, [MEMBER_ROLE])).toEqual({
        name: null,
        issues: [{ code: 'bot_not_in_guild', message: expect.any(String) }],
      });
      expect(await adapter.checkSpace('1200000000000000404', [])).toMatchObject({ name: null, issues: [{ code: 'bot_not_in_guild' }] });
    });
  });

  describe('customer OAuth2', () => {
    it('builds the consent URL with identify and guilds.join', () => {
      const url = adapter.authorizeUrl({ redirectUri: REDIRECT_URI, state: 'st8&x' });
      expect(url).toBe(
        `${discord.apiBase}/oauth2/authorize?client_id=${discord.clientId}&response_type=code&scope=identify%20guilds.join` +
          `&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&state=st8%26x&prompt=none`,
      );
    });

    it('exchanges a code for tokens and the customer, whose token then adds them to the server', async () => {
      const code = discord.issueAuthorizationCode({
        userId: CUSTOMER,
        username: 'alice',
        scopes: ['identify', 'guilds.join'],
        redirectUri: REDIRECT_URI,
      });
      const before = Date.now();
      const linked = await adapter.exchangeCode({ code, redirectUri: REDIRECT_URI });

      expect(linked).toEqual({
        userId: CUSTOMER,
        username: 'alice',
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        expiresAt: expect.any(String),
        scopes: ['identify', 'guilds.join'],
      });
      expect(Date.parse(linked.expiresAt) - before).toBeGreaterThanOrEqual(604_800_000 - 1_000);
      const [exchange, me] = discord.requests;
      expect(exchange).toEqual({
        method: 'POST',
        path: '/oauth2/token',
        body: {
          client_id: discord.clientId,
          client_secret: discord.clientSecret,
          grant_type: 'authorization_code',
          code,
          redirect_uri: REDIRECT_URI,
        },
        auth: 'none',
      });
      expect(me).toMatchObject({ method: 'GET', path: '/users/@me', auth: 'bearer' });

      const result = await adapter.grant(grantRequest({ userId: linked.userId, accessToken: linked.accessToken }));
      expect(result).toEqual({ status: 'granted', memberId: CUSTOMER, joinedByGrant: true });
    });

    it('asks the customer to authorize again for a missing guilds.join scope or a spent code', async () => {
      const identifyOnly = discord.issueAuthorizationCode({ userId: CUSTOMER, username: 'alice', scopes: ['identify'] });
      expect(await failureOf(adapter.exchangeCode({ code: identifyOnly, redirectUri: REDIRECT_URI }))).toMatchObject({
        kind: 'customer_action',
        message: expect.stringContaining('guilds.join'),
      });

      const code = discord.issueAuthorizationCode({ userId: CUSTOMER, username: 'alice', scopes: ['identify', 'guilds.join'] });
      await adapter.exchangeCode({ code, redirectUri: REDIRECT_URI });
      const spent = await failureOf(adapter.exchangeCode({ code, redirectUri: REDIRECT_URI }));
      expect(spent).toMatchObject({ kind: 'customer_action', options: { platformCode: 'invalid_grant' } });
      expect(inspect(spent)).not.toContain(code);
      expect(inspect(spent)).not.toContain(discord.clientSecret);
    });

    it('renews an expired access token once with the refresh token, which is then spent', async () => {
      const code = discord.issueAuthorizationCode({ userId: CUSTOMER, username: 'alice', scopes: ['identify', 'guilds.join'] });
      const linked = await adapter.exchangeCode({ code, redirectUri: REDIRECT_URI });
      discord.expireAccessTokens(CUSTOMER);
      expect(await failureOf(adapter.grant(grantRequest({ userId: CUSTOMER, accessToken: linked.accessToken })))).toMatchObject({
        kind: 'customer_action',
      });

      const renewed = await adapter.refreshAuthorization(linked.refreshToken);
      expect(renewed).toEqual({
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        expiresAt: expect.any(String),
        scopes: ['identify', 'guilds.join'],
      });
      expect(renewed.refreshToken).not.toBe(linked.refreshToken);
      expect(discord.requests.at(-1)).toMatchObject({
        method: 'POST',
        path: '/oauth2/token',
        body: { grant_type: 'refresh_token', refresh_token: linked.refreshToken },
      });
      expect(await adapter.grant(grantRequest({ userId: CUSTOMER, accessToken: renewed.accessToken }))).toEqual({
        status: 'granted',
        memberId: CUSTOMER,
        joinedByGrant: true,
      });

      const spent = await failureOf(adapter.refreshAuthorization(linked.refreshToken));
      expect(spent).toMatchObject({ kind: 'customer_action', options: { platformCode: 'invalid_grant' } });
      expect(inspect(spent)).not.toContain(linked.refreshToken);
    });

    it('fails with not_connected on a wrong client secret, and plainly without OAuth2 settings', async () => {
      const wrongSecret = new DiscordAdapter({
        apiBase: discord.apiBase,
        botToken: discord.botToken,
        clientId: discord.clientId,
        clientSecret: 'wrong-secret-123',
      });
      const code = discord.issueAuthorizationCode({ userId: CUSTOMER, username: 'alice', scopes: ['identify', 'guilds.join'] });
      const error = await failureOf(wrongSecret.exchangeCode({ code, redirectUri: REDIRECT_URI }));
      expect(error).toMatchObject({ kind: 'not_connected', options: { platformCode: 'invalid_client' } });
      expect(inspect(error)).not.toContain('wrong-secret-123');

      const botOnly = new DiscordAdapter({ apiBase: discord.apiBase, botToken: discord.botToken });
      expect(() => botOnly.authorizeUrl({ redirectUri: REDIRECT_URI, state: 's' })).toThrow(
        expect.objectContaining({ kind: 'not_connected', message: expect.stringMatching(/client id and secret/) }),
      );
      await expect(botOnly.exchangeCode({ code, redirectUri: REDIRECT_URI })).rejects.toMatchObject({ kind: 'not_connected' });
    });
  });

  it('keeps the bot token and customer tokens out of every failure', async () => {
    const accessToken = joinToken(['identify']);
    discord.addGuild({ id: OTHER_GUILD, name: 'Elsewhere', botInGuild: false });
    discord.failNext('GET /users/@me', { status: 429, retryAfterSeconds: 1 });
    const failures = await Promise.all([
      failureOf(adapter.grant(grantRequest({ userId: CUSTOMER, accessToken }))),
      failureOf(adapter.grant({ ...grantRequest({ userId: CUSTOMER, accessToken: joinToken() }), spaceId: OTHER_GUILD })),
      failureOf(adapter.checkConnection()),
    ]);
    expect(failures.map((f) => (f as CommunityPlatformError).kind)).toEqual(['customer_action', 'not_connected', 'rate_limited']);
    for (const failure of failures) {
      const shown = `${inspect(failure)} ${JSON.stringify(failure)}`;
      expect(shown).not.toContain(discord.botToken);
      expect(shown).not.toContain(accessToken);
      expect(shown).not.toContain('access_token');
    }
  });
});
