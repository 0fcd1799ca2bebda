import { CommunityPlatformError, type GrantRequest, type RevokeRequest } from '../../src/community/platform';
import { readTelegramUpdate, TelegramAdapter } from '../../src/community/telegram/telegram-adapter';
import { startTelegram, type FakeTelegram } from '../fakes/telegram';

// Supergroup and channel ids are -100 followed by the peer id: beyond 32 bits.
const VIP_CHAT = -1001234567890;
const CUSTOMER = { id: 424242, is_bot: false, first_name: 'Alice', username: 'alice' };
const STRANGER = { id: 515151, is_bot: false, first_name: 'Mallory' };

/** What a call rejected with, for asserting on fields. */
async function failureOf(promise: Promise<unknown>): Promise<CommunityPlatformError> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(CommunityPlatformError);
      return error as CommunityPlatformError;
    },
  );
}

const grantRequest = (overrides: Partial<GrantRequest> = {}): GrantRequest => ({
  grantId: 17,
  spaceId: String(VIP_CHAT),
  roleIds: [],
  customer: { userId: String(CUSTOMER.id), accessToken: null, email: null, phone: null },
  inviteUrl: null,
  beforeJoin: async () => undefined,
  ...overrides,
});

const revokeRequest = (overrides: Partial<RevokeRequest> = {}): RevokeRequest => ({
  grantId: 17,
  spaceId: String(VIP_CHAT),
  roleIds: [],
  memberId: String(CUSTOMER.id),
  removeMember: true,
  inviteUrl: null,
  ...overrides,
});

describe('Telegram adapter', () => {
  let telegram: FakeTelegram;
  let adapter: TelegramAdapter;
  beforeEach(async () => {
    telegram = await startTelegram();
    telegram.addChat({ id: VIP_CHAT, title: 'Sellflow VIP', type: 'supergroup' });
    adapter = new TelegramAdapter({ apiRoot: telegram.url, botToken: telegram.token });
  });
  afterEach(() => telegram.close());

  const methods = () => telegram.calls.map((c) => c.method);

  describe('grant', () => {
    it('waits for the customer to link Telegram before calling Telegram at all', async () => {
      const result = await adapter.grant(grantRequest({ customer: { userId: null, accessToken: null, email: null, phone: null } }));
      expect(result).toEqual({
        status: 'awaiting_customer',
        reason: 'The customer must link Telegram by opening the bot link',
        inviteUrl: null,
      });
      expect(telegram.calls).toEqual([]);
    });

    it('grants a customer who is already in the chat without joining them', async () => {
      telegram.addMember(VIP_CHAT, CUSTOMER);
      expect(await adapter.grant(grantRequest())).toEqual({ status: 'granted', memberId: String(CUSTOMER.id), joinedByGrant: false });
      expect(methods()).toEqual(['getChatMember']);
      expect(telegram.calls[0]!.params).toEqual({ chat_id: VIP_CHAT, user_id: CUSTOMER.id });
    });

    it('issues one join-request invite link and reuses it on the next attempt', async () => {
      telegram.sendStart(CUSTOMER, 'link-abc');
      const first = await adapter.grant(grantRequest());
      expect(first).toEqual({
        status: 'awaiting_customer',
        reason: 'Waiting for the customer to request to join with the invite link',
        inviteUrl: expect.stringMatching(/^https:\/\/t\.me\/\+/),
      });
      expect(telegram.callsOf('createChatInviteLink').map((c) => c.params)).toEqual([
        { chat_id: VIP_CHAT, name: 'grant 17', creates_join_request: true },
      ]);
      expect(telegram.inviteLinks(VIP_CHAT)).toEqual([
        expect.objectContaining({
          invite_link: first.status === 'awaiting_customer' ? first.inviteUrl : '',
          creates_join_request: true,
          is_revoked: false,
        }),
      ]);

      const inviteUrl = first.status === 'awaiting_customer' ? first.inviteUrl : null;
      const second = await adapter.grant(grantRequest({ inviteUrl }));
      expect(second).toEqual(first);
      expect(telegram.callsOf('createChatInviteLink')).toHaveLength(1);
      expect(telegram.members(VIP_CHAT)).toEqual([]);
    });

    it('approves the linked customer once they ask to join, then stays granted', async () => {
      const waiting = await adapter.grant(grantRequest());
      const inviteUrl = waiting.status === 'awaiting_customer' ? waiting.inviteUrl : null;
      telegram.requestJoin(VIP_CHAT, CUSTOMER, inviteUrl!);

      expect(await adapter.grant(grantRequest({ inviteUrl }))).toEqual({
        status: 'granted',
        memberId: String(CUSTOMER.id),
        joinedByGrant: true,
      });
      expect(telegram.members(VIP_CHAT)).toEqual([CUSTOMER.id]);
      expect(telegram.pendingJoinRequests(VIP_CHAT)).toEqual([]);
      expect(telegram.callsOf('createChatInviteLink')).toHaveLength(1);

      // Retried after a lost reply: already in, so granted but not joined by this call.
      expect(await adapter.grant(grantRequest({ inviteUrl }))).toEqual({
        status: 'granted',
        memberId: String(CUSTOMER.id),
        joinedByGrant: false,
      });
    });

    it("never approves someone else's join request through the customer's link", async () => {
      const waiting = await adapter.grant(grantRequest());
      const inviteUrl = waiting.status === 'awaiting_customer' ? waiting.inviteUrl : null;
      telegram.requestJoin(VIP_CHAT, STRANGER, inviteUrl!);

      expect(await adapter.grant(grantRequest({ inviteUrl }))).toMatchObject({ status: 'awaiting_customer', inviteUrl });
      expect(telegram.callsOf('approveChatJoinRequest').map((c) => c.params.user_id)).toEqual([CUSTOMER.id, CUSTOMER.id]);
      expect(telegram.members(VIP_CHAT)).toEqual([]);
      expect(telegram.pendingJoinRequests(VIP_CHAT)).toEqual([STRANGER.id]);
    });

    it('leaves a customer the seller banned to the seller', async () => {
      telegram.addMember(VIP_CHAT, CUSTOMER, 'kicked');
      const error = await failureOf(adapter.grant(grantRequest()));
      expect(error).toMatchObject({ kind: 'invalid_request', retryable: false, message: expect.stringContaining('banned') });
      expect(methods()).toEqual(['getChatMember']);
    });

    it('needs the seller to fix a bot without the invite right or without admin', async () => {
      telegram.setBotMembership(VIP_CHAT, 'administrator', { can_restrict_members: true });
      const noInviteRight = await failureOf(adapter.grant(grantRequest()));
      expect(noInviteRight).toMatchObject({
        kind: 'missing_permission',
        retryable: false,
        options: { platformCode: 400 },
        message: expect.stringContaining('not enough rights'),
      });

      telegram.setBotMembership(VIP_CHAT, 'member');
      expect(await failureOf(adapter.grant(grantRequest()))).toMatchObject({
        kind: 'missing_permission',
        message: expect.stringContaining('CHAT_ADMIN_REQUIRED'),
      });
      expect(telegram.inviteLinks(VIP_CHAT)).toEqual([]);
    });

    it('reports a rate limit with Telegram’s retry_after and does not retry by itself', async () => {
      telegram.failNext('getChatMember', { errorCode: 429, retryAfter: 7 });
      const error = await failureOf(adapter.grant(grantRequest()));
      expect(error).toMatchObject({ kind: 'rate_limited', retryable: true, retryAfterMs: 7_000 });
      expect(methods()).toEqual(['getChatMember']);
    });

    it('classifies outages, a removed bot and an unknown chat', async () => {
      telegram.failNext('getChatMember', { errorCode: 502 });
      expect(await failureOf(adapter.grant(grantRequest()))).toMatchObject({ kind: 'unavailable', retryable: true });

      telegram.setBotMembership(VIP_CHAT, 'kicked');
      expect(await failureOf(adapter.grant(grantRequest()))).toMatchObject({
        kind: 'not_connected',
        message: expect.stringContaining('bot was kicked'),
      });

      expect(await failureOf(adapter.grant(grantRequest({ spaceId: '-1009999999999' })))).toMatchObject({
        kind: 'not_connected',
        message: expect.stringContaining('chat not found'),
      });
      expect(
        await failureOf(adapter.grant(grantRequest({ customer: { userId: 'alice', accessToken: null, email: null, phone: null } }))),
      ).toMatchObject({ kind: 'invalid_request' });
    });
  });

  describe('revoke', () => {
    it('bans then unbans only if banned, so the customer is out but may rejoin later', async () => {
      telegram.addMember(VIP_CHAT, CUSTOMER);
      telegram.addMember(VIP_CHAT, STRANGER);
      const waiting = await adapter.grant(grantRequest({ customer: { userId: '600600', accessToken: null, email: null, phone: null } }));
      const inviteUrl = waiting.status === 'awaiting_customer' ? waiting.inviteUrl : null;
      telegram.calls.length = 0;

      await adapter.revoke(revokeRequest({ inviteUrl }));
      expect(methods()).toEqual(['revokeChatInviteLink', 'banChatMember', 'unbanChatMember']);
      expect(telegram.callsOf('unbanChatMember')[0]!.params).toEqual({ chat_id: VIP_CHAT, user_id: CUSTOMER.id, only_if_banned: true });
      expect(telegram.members(VIP_CHAT)).toEqual([STRANGER.id]);
      expect(telegram.memberStatus(VIP_CHAT, CUSTOMER.id)).toBe('left');
      expect(telegram.inviteLinks(VIP_CHAT)).toEqual([expect.objectContaining({ invite_link: inviteUrl, is_revoked: true })]);

      // Again, e.g. after a lost reply: the dead link and the absent member are success.
      await adapter.revoke(revokeRequest({ inviteUrl }));
      expect(telegram.members(VIP_CHAT)).toEqual([STRANGER.id]);

      // A new purchase lets them back in.
      const regrant = await adapter.grant(grantRequest({ grantId: 18 }));
      const newUrl = regrant.status === 'awaiting_customer' ? regrant.inviteUrl : null;
      telegram.requestJoin(VIP_CHAT, CUSTOMER, newUrl!);
      expect(await adapter.grant(grantRequest({ grantId: 18, inviteUrl: newUrl }))).toMatchObject({
        status: 'granted',
        joinedByGrant: true,
      });
    });

    it('treats a user Telegram does not know as already gone', async () => {
      await adapter.revoke(revokeRequest({ memberId: '999999' }));
      expect(methods()).toEqual(['banChatMember']);
    });

    it('needs the ban right', async () => {
      telegram.addMember(VIP_CHAT, CUSTOMER);
      telegram.setBotMembership(VIP_CHAT, 'administrator', { can_invite_users: true });
      expect(await failureOf(adapter.revoke(revokeRequest()))).toMatchObject({
        kind: 'missing_permission',
        message: expect.stringContaining('restrict/unrestrict'),
      });
      expect(telegram.members(VIP_CHAT)).toEqual([CUSTOMER.id]);
    });
  });

  describe('connection and chat health', () => {
    it('names the bot, lists no chats, and fails on a revoked token', async () => {
      expect(await adapter.checkConnection()).toEqual({ accountId: String(telegram.bot.id), accountName: 'sellflow_test_bot' });
      expect(await adapter.listSpaces()).toEqual([]);
      const revoked = new TelegramAdapter({ apiRoot: telegram.url, botToken: '7000000001:AARevokedTokenRevokedTokenRevoked' });
      expect(await failureOf(revoked.checkConnection())).toMatchObject({ kind: 'not_connected', options: { platformCode: 401 } });
    });

    it('reports the bot’s missing admin status and rights as issues', async () => {
      expect(await adapter.checkSpace(String(VIP_CHAT), [])).toEqual({ name: 'Sellflow VIP', issues: [] });

      telegram.setBotMembership(VIP_CHAT, 'administrator', { can_restrict_members: true });
      expect((await adapter.checkSpace(String(VIP_CHAT), [])).issues.map((i) => i.code)).toEqual(['missing_invite_right']);

      telegram.setBotMembership(VIP_CHAT, 'administrator', {});
      expect((await adapter.checkSpace(String(VIP_CHAT), [])).issues.map((i) => i.code)).toEqual([
        'missing_invite_right',
        'missing_ban_right',
      ]);

      telegram.setBotMembership(VIP_CHAT, 'member');
      expect(await adapter.checkSpace(String(VIP_CHAT), [])).toMatchObject({ name: 'Sellflow VIP', issues: [{ code: 'bot_not_admin' }] });

      telegram.setBotMembership(VIP_CHAT, 'kicked');
      expect(await adapter.checkSpace(String(VIP_CHAT), [])).toMatchObject({ name: null, issues: [{ code: 'chat_not_found' }] });
      expect(await adapter.checkSpace('-1009999999999', [])).toMatchObject({
        name: null,
        issues: [{ code: 'chat_not_found', message: expect.stringContaining('chat not found') }],
      });

      // A rate limit is not a finding about the chat.
      telegram.failNext('getChat', { errorCode: 429, retryAfter: 3 });
      expect(await failureOf(adapter.checkSpace(String(VIP_CHAT), []))).toMatchObject({ kind: 'rate_limited', retryAfterMs: 3_000 });
    });

    it('builds deep links from the bot’s username, asking Telegram once', async () => {
      expect(await adapter.deepLink('link_abc-123')).toBe('https://t.me/sellflow_test_bot?start=link_abc-123');
      expect(await adapter.botUsername()).toBe('sellflow_test_bot');
      expect(telegram.callsOf('getMe')).toHaveLength(1);
      await expect(adapter.deepLink('has space')).rejects.toMatchObject({ kind: 'invalid_request' });
    });
  });

  describe('updates', () => {
    it('reads channel posts, /start payloads and join requests, and confirms them by offset', async () => {
      const CHANNEL = -1002222222222;
      telegram.addChat({ id: CHANNEL, title: 'Sellflow News', type: 'channel' });
      telegram.post(CHANNEL, 'connect sf-7f3a');
      telegram.post(VIP_CHAT, 'hello', STRANGER);
      telegram.sendStart(CUSTOMER, 'link-abc');
      telegram.requestJoin(VIP_CHAT, CUSTOMER);

      const updates = await adapter.fetchUpdates(0, 0);
      const base = updates[0]!.updateId;
      expect(updates).toEqual([
        {
          kind: 'post',
          updateId: base,
          chatId: '-1002222222222',
          chatTitle: 'Sellflow News',
          chatType: 'channel',
          text: 'connect sf-7f3a',
          fromUserId: null,
          asOtherChat: false,
        },
        {
          kind: 'post',
          updateId: base + 1,
          chatId: String(VIP_CHAT),
          chatTitle: 'Sellflow VIP',
          chatType: 'supergroup',
          text: 'hello',
          fromUserId: String(STRANGER.id),
          asOtherChat: false,
        },
        { kind: 'start', updateId: base + 2, userId: '424242', username: 'alice', payload: 'link-abc' },
        { kind: 'join_request', updateId: base + 3, chatId: String(VIP_CHAT), userId: '424242', inviteUrl: null },
      ]);
      expect(telegram.callsOf('getUpdates')[0]!.params).toMatchObject({
        offset: 0,
        timeout: 0,
        allowed_updates: ['message', 'channel_post', 'chat_join_request', 'my_chat_member', 'chat_member'],
      });

      // Unconfirmed updates come again; an offset past them confirms them for good.
      expect(await adapter.fetchUpdates(base + 2, 0)).toHaveLength(2);
      expect(await adapter.fetchUpdates(base + 4, 0)).toEqual([]);
      expect(await adapter.fetchUpdates(0, 0)).toEqual([]);
    });

    it('long-polls until an update arrives', async () => {
      const started = Date.now();
      const polling = adapter.fetchUpdates(0, 20);
      setTimeout(() => telegram.sendStart(CUSTOMER, 'late'), 150);
      expect(await polling).toMatchObject([{ kind: 'start', payload: 'late' }]);
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('normalises raw updates, as the webhook receives them', () => {
      const chat = { id: -1001234567890, type: 'supergroup', title: 'VIP' };
      expect(
        readTelegramUpdate({
          update_id: 5,
          message: {
            message_id: 1,
            date: 1,
            chat: { id: 42, type: 'private', first_name: 'A' },
            from: { id: 42, is_bot: false, first_name: 'A' },
            text: '/start',
          },
        }),
      ).toEqual({
        kind: 'start',
        updateId: 5,
        userId: '42',
        username: null,
        payload: '',
      });
      expect(
        readTelegramUpdate({
          update_id: 6,
          message: { message_id: 1, date: 1, chat: { id: 42, type: 'private' }, from: { id: 42 }, text: '/start@sellflow_test_bot abc' },
        }),
      ).toMatchObject({ kind: 'start', payload: 'abc' });
      expect(
        readTelegramUpdate({
          update_id: 7,
          message: { message_id: 1, date: 1, chat: { id: 42, type: 'private' }, from: { id: 42 }, text: 'hi there' },
        }),
      ).toEqual({ kind: 'other', updateId: 7 });
      expect(readTelegramUpdate({ update_id: 8, message: { message_id: 1, date: 1, chat, from: { id: 42 }, photo: [] } })).toEqual({
        kind: 'other',
        updateId: 8,
      });
      expect(
        readTelegramUpdate({
          update_id: 9,
          chat_join_request: {
            chat,
            from: { id: 42 },
            user_chat_id: 42,
            date: 1,
            invite_link: { invite_link: 'https://t.me/+abc', creates_join_request: true },
          },
        }),
      ).toEqual({
        kind: 'join_request',
        updateId: 9,
        chatId: '-1001234567890',
        userId: '42',
        inviteUrl: 'https://t.me/+abc',
      });
      expect(readTelegramUpdate({ update_id: 10, my_chat_member: { chat } })).toEqual({ kind: 'other', updateId: 10 });
      // Posted as the group itself (an anonymous administrator) or as some other chat (anyone's channel).
      const anonymousAdmin = {
        update_id: 11,
        message: { message_id: 2, date: 1, chat, from: { id: 1087968824, is_bot: true }, sender_chat: chat, text: 'sf-code' },
      };
      expect(readTelegramUpdate(anonymousAdmin)).toMatchObject({ kind: 'post', fromUserId: null, asOtherChat: false });
      const asChannel = {
        update_id: 12,
        message: {
          message_id: 3,
          date: 1,
          chat,
          from: { id: 136817688, is_bot: true },
          sender_chat: { id: -1009999999999, type: 'channel', title: 'Anyone' },
          text: 'sf-code',
        },
      };
      expect(readTelegramUpdate(asChannel)).toMatchObject({ kind: 'post', fromUserId: null, asOtherChat: true });
      expect(() => readTelegramUpdate({ message: {} })).toThrow(TypeError);
      expect(() => readTelegramUpdate('nope')).toThrow(TypeError);
    });
  });

  describe('the bot token', () => {
    const noToken = (error: CommunityPlatformError, token: string) => {
      expect(error.message).not.toContain(token);
      expect(error.message).not.toContain(token.split(':')[1] ?? token);
    };

    it('never appears in an error, whatever failed', async () => {
      // A proxy's HTML page: node-fetch quotes the URL when the body is not JSON.
      telegram.failNext('getMe', { errorCode: 404, body: '<html>Not Found</html>' });
      const notJson = await failureOf(adapter.checkConnection());
      expect(notJson).toMatchObject({ kind: 'unavailable', message: expect.stringContaining('/bot[token]/getMe') });
      noToken(notJson, telegram.token);

      telegram.failNext('getChatMember', { errorCode: 500 });
      noToken(await failureOf(adapter.grant(grantRequest())), telegram.token);

      // Connection refused, with a token in telegraf's format and one that is not.
      await telegram.close();
      for (const botToken of [telegram.token, 'sellflow-secret-token']) {
        const offline = new TelegramAdapter({ apiRoot: telegram.url, botToken });
        const refused = await failureOf(offline.grant(grantRequest()));
        expect(refused).toMatchObject({ kind: 'unavailable', retryable: true });
        noToken(refused, botToken);
      }
      telegram = await startTelegram();
    });
  });
});
