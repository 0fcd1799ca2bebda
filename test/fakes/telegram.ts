import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Telegram's Bot API on loopback: `POST /bot<token>/<method>` with JSON (or form / query)
 * parameters, answering `{ ok, result }` or `{ ok: false, error_code, description, parameters }`
 * with Telegram's own descriptions. Chats hold the bot's membership and rights, members, invite
 * links and pending join requests; tests move users (requestJoin, post, sendStart) and read the
 * state back. getUpdates long-polls and confirms by offset like Telegram.
 */
export interface RecordedTelegramCall {
  method: string;
  params: Record<string, unknown>;
}

export interface FakeTelegramUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  username?: string;
}

type ChatType = 'group' | 'supergroup' | 'channel';
type MemberStatus = 'creator' | 'administrator' | 'member' | 'left' | 'kicked';
type BotStatus = 'creator' | 'administrator' | 'member' | 'left' | 'kicked';

export interface BotRights {
  can_invite_users: boolean;
  can_restrict_members: boolean;
}

interface InviteLink {
  invite_link: string;
  name?: string;
  creates_join_request: boolean;
  member_limit?: number;
  is_revoked: boolean;
}

interface FakeChat {
  id: number;
  title: string;
  type: ChatType;
  bot: { status: BotStatus; rights: BotRights };
  members: Map<number, MemberStatus>;
  joinRequests: Map<number, string | null>;
  links: Map<string, InviteLink>;
}

interface Failure {
  method: string;
  errorCode: number;
  description?: string;
  retryAfter?: number;
  /** Sent as is instead of JSON, e.g. a proxy's HTML page. */
  body?: string;
  times: number;
}

type Params = Record<string, unknown>;
type Update = { update_id: number } & Record<string, unknown>;

class ApiError extends Error {
  constructor(
    readonly errorCode: number,
    readonly description: string,
    readonly parameters?: Record<string, unknown>,
  ) {
    super(description);
  }
}

const bad = (description: string) => new ApiError(400, `Bad Request: ${description}`);
const num = (value: unknown) =>
  typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
const bool = (value: unknown) => value === true || value === 'true';
const STATUS_TEXT: Record<number, string> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export async function startTelegram(options: { token?: string; botId?: number; botUsername?: string } = {}) {
  const token = options.token ?? '7000000001:AAFakeTelegramBotTokenForSellflowTests';
  const bot: FakeTelegramUser = {
    id: options.botId ?? 7_000_000_001,
    is_bot: true,
    first_name: 'Sellflow Test',
    username: options.botUsername ?? 'sellflow_test_bot',
  };
  const calls: RecordedTelegramCall[] = [];
  const failures: Failure[] = [];
  const chats = new Map<number, FakeChat>();
  const users = new Map<number, FakeTelegramUser>([[bot.id, bot]]);
  let updates: Update[] = [];
  let nextUpdateId = 100_000;
  let nextMessageId = 1;
  let allowedUpdates: string[] | null = null;
  const waiting = new Set<() => void>();
  const now = () => Math.floor(Date.now() / 1000);

  const userOf = (user: number | (Partial<FakeTelegramUser> & { id: number })): FakeTelegramUser => {
    const id = typeof user === 'number' ? user : user.id;
    const known = users.get(id) ?? { id, is_bot: false, first_name: `User ${id}` };
    const merged = typeof user === 'number' ? known : { ...known, ...user };
    users.set(id, merged);
    return merged;
  };
  const chatJson = (chat: FakeChat) => ({ id: chat.id, type: chat.type, title: chat.title });
  const linkJson = (link: InviteLink) => ({ ...link, creator: bot, is_primary: false });
  const chatKind = (chat: FakeChat) => (chat.type === 'channel' ? 'channel' : chat.type === 'group' ? 'group' : 'supergroup');

  function queue(body: Record<string, unknown>) {
    updates.push({ update_id: nextUpdateId++, ...body });
    for (const wake of [...waiting]) wake();
  }

  /** The chat the bot can act in, or Telegram's refusal. */
  function chatFor(params: Params): FakeChat {
    const chat = chats.get(num(params.chat_id));
    if (!chat) throw bad('chat not found');
    if (chat.bot.status === 'kicked') throw new ApiError(403, `Forbidden: bot was kicked from the ${chatKind(chat)} chat`);
    if (chat.bot.status === 'left') throw new ApiError(403, `Forbidden: bot is not a member of the ${chatKind(chat)} chat`);
    return chat;
  }

  function requireRight(chat: FakeChat, right: keyof BotRights, refusal: string) {
    if (chat.bot.status === 'creator') return;
    if (chat.bot.status !== 'administrator') throw bad('CHAT_ADMIN_REQUIRED');
    if (!chat.bot.rights[right]) throw bad(refusal);
  }

  function memberJson(chat: FakeChat, userId: number) {
    if (userId === bot.id) {
      const { status, rights } = chat.bot;
      if (status !== 'administrator') return { user: bot, status };
      return {
        user: bot,
        status,
        can_be_edited: false,
        is_anonymous: false,
        can_manage_chat: true,
        can_delete_messages: false,
        can_manage_video_chats: false,
        can_promote_members: false,
        can_change_info: false,
        ...rights,
      };
    }
    const user = users.get(userId);
    if (!user) throw bad('user not found');
    const status = chat.members.get(userId) ?? 'left';
    if (status === 'kicked') return { user, status, until_date: 0 };
    if (status === 'administrator')
      return {
        user,
        status,
        can_be_edited: false,
        is_anonymous: false,
        can_manage_chat: true,
        can_delete_messages: true,
        can_manage_video_chats: true,
        can_restrict_members: true,
        can_promote_members: false,
        can_change_info: true,
        can_invite_users: true,
      };
    if (status === 'creator') return { user, status, is_anonymous: false };
    return { user, status };
  }

  const inChat = (status: MemberStatus | undefined) => status === 'creator' || status === 'administrator' || status === 'member';

  async function getUpdates(params: Params) {
    const offset = Number.isNaN(num(params.offset)) ? 0 : num(params.offset);
    const limit = Math.min(Math.max(Number.isNaN(num(params.limit)) ? 100 : num(params.limit), 1), 100);
    const timeout = Math.max(Number.isNaN(num(params.timeout)) ? 0 : num(params.timeout), 0);
    const allowed = typeof params.allowed_updates === 'string' ? (JSON.parse(params.allowed_updates) as unknown) : params.allowed_updates;
    // Telegram keeps the last allowed_updates given until another list replaces it.
    if (Array.isArray(allowed)) allowedUpdates = allowed.length > 0 ? allowed.map(String) : null;
    // An offset confirms every update below it; a negative one keeps only the last -offset.
    if (offset > 0) updates = updates.filter((u) => u.update_id >= offset);
    else if (offset < 0) updates = updates.slice(offset);
    const deliverable = () =>
      updates
        .filter((u) => allowedUpdates === null || Object.keys(u).some((key) => key !== 'update_id' && allowedUpdates!.includes(key)))
        .slice(0, limit);
    if (deliverable().length === 0 && timeout > 0) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          waiting.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, timeout * 1000);
        waiting.add(wake);
      });
    }
    return deliverable();
  }

  async function handle(method: string, params: Params): Promise<unknown> {
    switch (method) {
      case 'getMe':
        return { ...bot, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false };
      case 'getChat':
        return { ...chatJson(chatFor(params)), accent_color_id: 0, max_reaction_count: 11 };
      case 'getChatMember':
        return memberJson(chatFor(params), num(params.user_id));
      case 'createChatInviteLink': {
        const chat = chatFor(params);
        requireRight(chat, 'can_invite_users', 'not enough rights to manage chat invite link');
        const name = typeof params.name === 'string' ? params.name : undefined;
        if (name !== undefined && name.length > 32) throw bad('invite link name is too long');
        const createsJoinRequest = bool(params.creates_join_request);
        if (createsJoinRequest && params.member_limit !== undefined)
          throw bad("member limit can't be specified for links requiring administrator approval");
        const link: InviteLink = {
          invite_link: `https://t.me/+${randomBytes(12).toString('base64url')}`,
          creates_join_request: createsJoinRequest,
          is_revoked: false,
          ...(name === undefined ? {} : { name }),
          ...(params.member_limit === undefined ? {} : { member_limit: num(params.member_limit) }),
        };
        chat.links.set(link.invite_link, link);
        return linkJson(link);
      }
      case 'revokeChatInviteLink': {
        const chat = chatFor(params);
        requireRight(chat, 'can_invite_users', 'not enough rights to manage chat invite link');
        const link = chat.links.get(String(params.invite_link));
        if (!link || link.is_revoked) throw bad('INVITE_HASH_EXPIRED');
        link.is_revoked = true;
        return linkJson(link);
      }
      case 'approveChatJoinRequest':
      case 'declineChatJoinRequest': {
        const chat = chatFor(params);
        requireRight(chat, 'can_invite_users', 'not enough rights to manage chat join requests');
        const userId = num(params.user_id);
        if (method === 'approveChatJoinRequest' && inChat(chat.members.get(userId))) throw bad('USER_ALREADY_PARTICIPANT');
        if (!chat.joinRequests.has(userId)) throw bad('HIDE_REQUESTER_MISSING');
        chat.joinRequests.delete(userId);
        if (method === 'approveChatJoinRequest') chat.members.set(userId, 'member');
        return true;
      }
      case 'banChatMember':
      case 'unbanChatMember': {
        const chat = chatFor(params);
        requireRight(chat, 'can_restrict_members', 'not enough rights to restrict/unrestrict chat member');
        const userId = num(params.user_id);
        if (!users.has(userId) || userId === bot.id) throw bad('PARTICIPANT_ID_INVALID');
        const status = chat.members.get(userId);
        if (status === 'creator') throw bad("can't remove chat owner");
        if (status === 'administrator') throw bad('user is an administrator of the chat');
        if (method === 'banChatMember') {
          chat.members.set(userId, 'kicked');
          chat.joinRequests.delete(userId);
        } else if (status === 'kicked' || !bool(params.only_if_banned)) {
          // Without only_if_banned Telegram also removes a current member.
          chat.members.delete(userId);
        }
        return true;
      }
      case 'getUpdates':
        return getUpdates(params);
      case 'sendMessage': {
        const chatId = num(params.chat_id);
        const user = chatId > 0 ? users.get(chatId) : undefined;
        const chat = user
          ? { id: user.id, type: 'private', first_name: user.first_name, ...(user.username ? { username: user.username } : {}) }
          : chatJson(chatFor(params));
        if (typeof params.text !== 'string' || params.text.trim() === '') throw bad('message text is empty');
        return { message_id: nextMessageId++, date: now(), chat, from: bot, text: params.text };
      }
      default:
        throw new ApiError(404, 'Not Found');
    }
  }

  async function readParams(req: http.IncomingMessage, url: URL): Promise<Params> {
    const params: Params = Object.fromEntries(url.searchParams);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const type = req.headers['content-type'] ?? '';
    // telegraf sends JSON unless a file is attached, which none of these methods take.
    if (type.startsWith('application/json') && body) Object.assign(params, JSON.parse(body) as Params);
    else if (type.startsWith('application/x-www-form-urlencoded')) Object.assign(params, Object.fromEntries(new URLSearchParams(body)));
    return params;
  }

  const server = http.createServer((req, res) => {
    const reply = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const url = new URL(req.url ?? '/', 'http://telegram.test');
    const route = /^\/bot([^/]+)\/(\w+)$/.exec(url.pathname);
    void readParams(req, url)
      .then(async (params) => {
        if (!route) return reply(404, { ok: false, error_code: 404, description: 'Not Found' });
        if (decodeURIComponent(route[1]!) !== token) return reply(401, { ok: false, error_code: 401, description: 'Unauthorized' });
        const method = route[2]!;
        calls.push({ method, params });
        const at = failures.findIndex((f) => f.method === method);
        if (at >= 0) {
          const failure = failures[at]!;
          failure.times -= 1;
          if (failure.times <= 0) failures.splice(at, 1);
          if (failure.body !== undefined) return res.writeHead(failure.errorCode, { 'content-type': 'text/html' }).end(failure.body);
          const retryAfter = failure.retryAfter ?? 1;
          if (failure.errorCode === 429)
            return reply(429, {
              ok: false,
              error_code: 429,
              description: failure.description ?? `Too Many Requests: retry after ${retryAfter}`,
              parameters: { retry_after: retryAfter },
            });
          return reply(failure.errorCode, {
            ok: false,
            error_code: failure.errorCode,
            description: failure.description ?? STATUS_TEXT[failure.errorCode] ?? 'Bad Request: injected failure',
          });
        }
        try {
          reply(200, { ok: true, result: await handle(method, params) });
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          reply(error.errorCode, {
            ok: false,
            error_code: error.errorCode,
            description: error.description,
            ...(error.parameters ? { parameters: error.parameters } : {}),
          });
        }
      })
      .catch((error: unknown) => {
        if (!res.headersSent) reply(500, { ok: false, error_code: 500, description: `Internal Server Error: ${String(error)}` });
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    /** The apiRoot to give telegraf, like https://api.telegram.org. */
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token,
    bot,
    calls,
    /** Calls of one method, in order. */
    callsOf: (method: string) => calls.filter((c) => c.method === method),
    /** A group, supergroup or channel; the bot is an administrator with the invite and ban rights unless `bot` says otherwise. */
    addChat(chat: { id: number; title: string; type: ChatType }, botMembership: { status?: BotStatus; rights?: Partial<BotRights> } = {}) {
      const rights = { can_invite_users: true, can_restrict_members: true, ...botMembership.rights };
      chats.set(chat.id, {
        ...chat,
        bot: { status: botMembership.status ?? 'administrator', rights },
        members: new Map(),
        joinRequests: new Map(),
        links: new Map(),
      });
      return chat.id;
    },
    setBotMembership(chatId: number, status: BotStatus, rights: Partial<BotRights> = {}) {
      const chat = chats.get(chatId)!;
      chat.bot = { status, rights: { can_invite_users: false, can_restrict_members: false, ...rights } };
    },
    addMember(chatId: number, user: number | FakeTelegramUser, status: MemberStatus = 'member') {
      chats.get(chatId)!.members.set(userOf(user).id, status);
    },
    /** Ids of users in the chat now (banned and departed users are not). */
    members: (chatId: number) => [...chats.get(chatId)!.members].filter(([, status]) => inChat(status)).map(([id]) => id),
    memberStatus: (chatId: number, userId: number): MemberStatus => chats.get(chatId)!.members.get(userId) ?? 'left',
    pendingJoinRequests: (chatId: number) => [...chats.get(chatId)!.joinRequests.keys()],
    inviteLinks: (chatId: number) => [...chats.get(chatId)!.links.values()].map((link) => ({ ...link })),
    /** The user asks to join, through `inviteUrl` when given (it must be a live join-request link). */
    requestJoin(chatId: number, user: number | FakeTelegramUser, inviteUrl?: string) {
      const chat = chats.get(chatId)!;
      const requester = userOf(user);
      const link = inviteUrl === undefined ? undefined : chat.links.get(inviteUrl);
      if (inviteUrl !== undefined && (!link || link.is_revoked || !link.creates_join_request))
        throw new Error(`${inviteUrl} is not a live join-request link of chat ${chatId}`);
      chat.joinRequests.set(requester.id, inviteUrl ?? null);
      queue({
        chat_join_request: {
          chat: chatJson(chat),
          from: requester,
          user_chat_id: requester.id,
          date: now(),
          ...(link ? { invite_link: linkJson(link) } : {}),
        },
      });
    },
    /** A text message in a group (from `fromUser`), or a post in a channel. */
    post(chatId: number, text: string, fromUser: number | FakeTelegramUser = 1) {
      const chat = chats.get(chatId)!;
      const base = { message_id: nextMessageId++, date: now(), chat: chatJson(chat), text };
      if (chat.type === 'channel') queue({ channel_post: { ...base, sender_chat: chatJson(chat) } });
      else queue({ message: { ...base, from: userOf(fromUser) } });
    },
    /** The user opens t.me/<bot>?start=<payload>: a private "/start <payload>". */
    sendStart(user: number | FakeTelegramUser, payload: string) {
      const from = userOf(user);
      const text = payload ? `/start ${payload}` : '/start';
      queue({
        message: {
          message_id: nextMessageId++,
          date: now(),
          chat: { id: from.id, type: 'private', first_name: from.first_name, ...(from.username ? { username: from.username } : {}) },
          from,
          text,
          entities: [{ offset: 0, length: 6, type: 'bot_command' }],
        },
      });
    },
    /** Queues any raw update body, e.g. { my_chat_member: ... }. */
    queueUpdate: (body: Record<string, unknown>) => queue(body),
    /** The next `times` calls of `method` fail: 429 with retry_after, a 5xx, or any code / description / raw body. */
    failNext(method: string, failure: { errorCode: number; retryAfter?: number; description?: string; body?: string; times?: number }) {
      failures.push({ method, ...failure, times: failure.times ?? 1 });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const wake of [...waiting]) wake();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type FakeTelegram = Awaited<ReturnType<typeof startTelegram>>;
