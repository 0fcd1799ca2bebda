import { Telegram, TelegramError } from 'telegraf';
import type { ChatMember, Opts, Telegram as TelegramMethods, UserFromGetMe } from 'telegraf/types';
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
  type SpaceSummary,
} from '../platform';

export interface TelegramAdapterOptions {
  /** Bot API root, https://api.telegram.org in production. */
  apiRoot: string;
  botToken: string;
  /** Per call, on top of a getUpdates long poll's own wait. */
  timeoutMs?: number;
}

/** One update from getUpdates or the webhook, in our terms. Ids are decimal strings. */
export type TelegramUpdate =
  /** A text message in a group, supergroup or channel the bot is in (how a seller connects a chat). */
  /**
   * fromUserId: the sender in a group; null for channel posts and anonymous admins (only admins post there).
   * asOtherChat: posted in a group as some other chat (a user's own channel), so nobody can be checked.
   */
  | {
      kind: 'post';
      updateId: number;
      chatId: string;
      chatTitle: string | null;
      chatType: 'group' | 'supergroup' | 'channel';
      text: string;
      fromUserId: string | null;
      asOtherChat: boolean;
    }
  /** `/start <payload>` in the bot's private chat: a customer opening the deep link. Bare /start has payload ''. */
  | { kind: 'start'; updateId: number; userId: string; username: string | null; payload: string }
  /** A user asked to join through a link with creates_join_request; inviteUrl is the link they used. */
  | { kind: 'join_request'; updateId: number; chatId: string; userId: string; inviteUrl: string | null }
  | { kind: 'other'; updateId: number };

export const TELEGRAM_ALLOWED_UPDATES = ['message', 'channel_post', 'chat_join_request', 'my_chat_member', 'chat_member'] as const;

const AWAITING_LINK = 'The customer must link Telegram by opening the bot link';
const AWAITING_JOIN = 'Waiting for the customer to request to join with the invite link';
/** Telegram caps invite link names at 32 characters. */
const INVITE_NAME_LIMIT = 32;
/** Deep-link payloads: up to 64 of A-Z a-z 0-9 _ -. */
const START_PAYLOAD = /^[A-Za-z0-9_-]{1,64}$/;

// Descriptions Telegram answers with, matched case-insensitively.
const MISSING_RIGHTS = /not enough rights|CHAT_ADMIN_REQUIRED|need administrator rights|RIGHT_FORBIDDEN/i;
const CHAT_GONE = /chat not found|bot was kicked|bot is not a member|upgraded to a supergroup/i;
/** approveChatJoinRequest when the user has no pending request. */
const NO_JOIN_REQUEST = /HIDE_REQUESTER_MISSING|USER_ID_INVALID/i;
const ALREADY_PARTICIPANT = /USER_ALREADY_PARTICIPANT/i;
/** getChatMember / banChatMember for a user Telegram does not know in this chat. */
const NOT_A_PARTICIPANT = /user not found|member not found|PARTICIPANT_ID_INVALID|USER_NOT_PARTICIPANT|USER_ID_INVALID/i;
const LINK_ALREADY_DEAD = /INVITE_HASH_EXPIRED|INVITE_HASH_INVALID|invite link not found|INVITE_REVOKED/i;

function isMember(member: ChatMember): boolean {
  switch (member.status) {
    case 'creator':
    case 'administrator':
    case 'member':
      return true;
    case 'restricted':
      return member.is_member;
    default:
      return false;
  }
}

/** Telegram wants numeric chat ids as integers; @channelusername stays a string. */
function chatIdParam(spaceId: string): number | string {
  return /^-?\d+$/.test(spaceId) ? Number(spaceId) : spaceId;
}

/** telegraf types its signal with the abort-controller polyfill; node-fetch takes Node's own. */
type CallSignal = NonNullable<NonNullable<Parameters<Telegram['callApi']>[2]>['signal']>;
const deadline = (ms: number) => AbortSignal.timeout(ms) as unknown as CallSignal;

/**
 * Telegram through telegraf's Telegram client (no polling bot: the worker asks for updates).
 * Access is a chat membership: grant approves the customer's join request, or hands out an
 * invite link that only creates join requests, so nobody but the linked user gets in with it.
 * Revoke bans then unbans: removed now, free to rejoin after a new purchase.
 */
export class TelegramAdapter implements CommunityAdapter {
  readonly platform = 'telegram' as const;
  private readonly telegram: Telegram;
  private readonly botToken: string;
  private readonly timeoutMs: number;
  private me: Promise<UserFromGetMe> | null = null;

  constructor(options: TelegramAdapterOptions) {
    this.botToken = options.botToken;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.telegram = new Telegram(options.botToken, { apiRoot: options.apiRoot });
  }

  async checkConnection(): Promise<ConnectionCheck> {
    this.me = null;
    const me = await this.getMe();
    return { accountId: String(me.id), accountName: me.username };
  }

  /** The Bot API cannot list the chats a bot is in; chats are connected from their updates. */
  async listSpaces(): Promise<SpaceSummary[]> {
    return [];
  }

  /** Telegram has no roles: only the bot's own admin rights matter. */
  async checkSpace(spaceId: string, _rolesInUse: string[] = []): Promise<SpaceCheck> {
    const chat_id = chatIdParam(spaceId);
    let name: string | null;
    try {
      const chat = await this.raw('getChat', { chat_id });
      name = 'title' in chat ? chat.title : null;
    } catch (error) {
      // Unknown chat, or one the bot was removed from: a finding, not a failure of the check.
      const gone = error instanceof TelegramError && ((error.code === 400 && CHAT_GONE.test(error.description)) || error.code === 403);
      if (!gone) throw this.classify('getChat', error);
      return {
        name: null,
        issues: [
          {
            code: 'chat_not_found',
            message: `The bot cannot see chat ${spaceId} (${this.sanitize(error.description)}): add the bot to the chat as an administrator.`,
          },
        ],
      };
    }
    const me = await this.getMe();
    const bot = await this.call('getChatMember', { chat_id, user_id: me.id });
    const issues: HealthIssue[] = [];
    if (bot.status === 'administrator') {
      if (!bot.can_invite_users)
        issues.push({
          code: 'missing_invite_right',
          message: 'The bot needs the "Invite users via link" admin right to create invite links and approve join requests.',
        });
      if (!bot.can_restrict_members)
        issues.push({
          code: 'missing_ban_right',
          message: 'The bot needs the "Ban users" admin right to remove customers when access ends.',
        });
    } else if (bot.status !== 'creator') {
      issues.push({
        code: 'bot_not_admin',
        message: `The bot is ${bot.status} in the chat, not an administrator: promote it with the invite and ban rights.`,
      });
    }
    return { name, issues };
  }

  async grant(request: GrantRequest): Promise<GrantResult> {
    if (request.customer.userId === null) return { status: 'awaiting_customer', reason: AWAITING_LINK, inviteUrl: null };
    const userId = request.customer.userId;
    const chat_id = chatIdParam(request.spaceId);
    const user_id = this.userIdParam(userId);

    const member = await this.memberOrNull(chat_id, user_id);
    if (member && isMember(member)) return { status: 'granted', memberId: userId, joinedByGrant: false };
    // A ban the seller set is theirs to lift; approving or inviting around it would undo it.
    if (member?.status === 'kicked')
      throw new CommunityPlatformError(
        'telegram',
        'invalid_request',
        `Telegram user ${userId} is banned from chat ${request.spaceId}; an administrator must unban them first`,
      );

    await request.beforeJoin(userId);
    try {
      await this.raw('approveChatJoinRequest', { chat_id, user_id });
      return { status: 'granted', memberId: userId, joinedByGrant: true };
    } catch (error) {
      const description = error instanceof TelegramError && error.code === 400 ? error.description : '';
      // Joined between our two calls (an admin let them in): granted, but not by us.
      if (ALREADY_PARTICIPANT.test(description)) return { status: 'granted', memberId: userId, joinedByGrant: false };
      if (!NO_JOIN_REQUEST.test(description)) throw this.classify('approveChatJoinRequest', error);
    }

    // One link per grant: join requests through it wait for us, and we approve only this customer.
    const inviteUrl =
      request.inviteUrl ??
      (
        await this.call('createChatInviteLink', {
          chat_id,
          name: `grant ${request.grantId}`.slice(0, INVITE_NAME_LIMIT),
          creates_join_request: true,
        })
      ).invite_link;
    return { status: 'awaiting_customer', reason: AWAITING_JOIN, inviteUrl };
  }

  async revoke(request: RevokeRequest): Promise<void> {
    const chat_id = chatIdParam(request.spaceId);
    // The link first, so no join request through it can be approved once access has ended.
    if (request.inviteUrl !== null) {
      try {
        await this.raw('revokeChatInviteLink', { chat_id, invite_link: request.inviteUrl });
      } catch (error) {
        if (!(error instanceof TelegramError && error.code === 400 && LINK_ALREADY_DEAD.test(error.description)))
          throw this.classify('revokeChatInviteLink', error);
      }
    }
    if (request.memberId === null || !request.removeMember) return;
    const user_id = this.userIdParam(request.memberId);
    try {
      await this.raw('banChatMember', { chat_id, user_id });
    } catch (error) {
      if (error instanceof TelegramError && error.code === 400 && NOT_A_PARTICIPANT.test(error.description)) return;
      throw this.classify('banChatMember', error);
    }
    // Without the unban the customer could never rejoin, even after buying again.
    await this.call('unbanChatMember', { chat_id, user_id, only_if_banned: true });
  }

  /** Whether the user administers the chat (the creator, or an administrator). */
  async isChatAdmin(chatId: string, userId: string): Promise<boolean> {
    const member = await this.memberOrNull(chatIdParam(chatId), this.userIdParam(userId));
    return member?.status === 'creator' || member?.status === 'administrator';
  }

  async botUsername(): Promise<string> {
    return (await this.getMe()).username;
  }

  /** The link a customer opens to link their Telegram account: the bot receives `/start <payload>`. */
  async deepLink(payload: string): Promise<string> {
    if (!START_PAYLOAD.test(payload))
      throw new CommunityPlatformError('telegram', 'invalid_request', 'A start payload is 1-64 characters of A-Z, a-z, 0-9, _ and -');
    return `https://t.me/${await this.botUsername()}?start=${payload}`;
  }

  /** Long-polls getUpdates; updates below `offset` are confirmed and never returned again. */
  async fetchUpdates(offset: number, timeoutSeconds: number): Promise<TelegramUpdate[]> {
    const updates = await this.call(
      'getUpdates',
      { offset, timeout: timeoutSeconds, limit: 100, allowed_updates: [...TELEGRAM_ALLOWED_UPDATES] },
      this.timeoutMs + timeoutSeconds * 1000,
    );
    return updates.map(readTelegramUpdate);
  }

  /** Tells a customer in the bot's private chat that linking worked. */
  async sendMessage(chatId: string, text: string): Promise<void> {
    await this.call('sendMessage', { chat_id: chatIdParam(chatId), text });
  }

  private getMe(): Promise<UserFromGetMe> {
    if (!this.me) {
      const me = this.call('getMe', {});
      // A failed lookup is not cached: the next call tries again.
      me.catch(() => {
        if (this.me === me) this.me = null;
      });
      this.me = me;
    }
    return this.me;
  }

  /** The member, or null when Telegram does not know the user in this chat. */
  private async memberOrNull(chat_id: number | string, user_id: number): Promise<ChatMember | null> {
    try {
      return await this.raw('getChatMember', { chat_id, user_id });
    } catch (error) {
      if (error instanceof TelegramError && error.code === 400 && NOT_A_PARTICIPANT.test(error.description)) return null;
      throw this.classify('getChatMember', error);
    }
  }

  private userIdParam(userId: string): number {
    if (!/^\d{1,16}$/.test(userId))
      throw new CommunityPlatformError('telegram', 'invalid_request', `${JSON.stringify(userId.slice(0, 40))} is not a Telegram user id`);
    return Number(userId);
  }

  /** One Bot API call with a deadline; every failure classified. */
  private async call<M extends keyof TelegramMethods>(
    method: M,
    payload: Opts<M>,
    timeoutMs = this.timeoutMs,
  ): Promise<ReturnType<TelegramMethods[M]>> {
    try {
      return await this.raw(method, payload, timeoutMs);
    } catch (error) {
      throw this.classify(method, error);
    }
  }

  /**
   * The same, but Telegram's own refusals pass through as TelegramError for the caller to read
   * (some mean "already done"); network failures are already classified.
   */
  private async raw<M extends keyof TelegramMethods>(
    method: M,
    payload: Opts<M>,
    timeoutMs = this.timeoutMs,
  ): Promise<ReturnType<TelegramMethods[M]>> {
    try {
      return await this.telegram.callApi(method, payload, { signal: deadline(timeoutMs) });
    } catch (error) {
      if (error instanceof TelegramError) throw error;
      throw this.classify(method, error);
    }
  }

  private classify(method: string, error: unknown): CommunityPlatformError {
    if (error instanceof CommunityPlatformError) return error;
    if (!(error instanceof TelegramError)) {
      const reason =
        error instanceof Error && error.name === 'AbortError' ? 'timed out' : error instanceof Error ? error.message : String(error);
      return new CommunityPlatformError('telegram', 'unavailable', this.sanitize(`Telegram ${method} failed: ${reason}`));
    }
    const code = error.code;
    const message = this.sanitize(`Telegram ${method}: ${error.description}`);
    const failure = (kind: CommunityFailureKind, extra: { retryAfterMs?: number } = {}) =>
      new CommunityPlatformError('telegram', kind, message, { platformCode: code, ...extra });
    if (code === 429) {
      const retryAfter = error.parameters?.retry_after;
      return failure('rate_limited', retryAfter === undefined ? {} : { retryAfterMs: retryAfter * 1000 });
    }
    if (code >= 500) return failure('unavailable');
    // 401: the token was revoked; 404: not a token at all; 403: the bot was removed from the chat.
    if (code === 401 || code === 403 || code === 404) return failure('not_connected');
    // Another getUpdates poller, or a webhook set elsewhere.
    if (code === 409) return failure(/webhook/i.test(error.description) ? 'invalid_request' : 'unavailable');
    if (MISSING_RIGHTS.test(error.description)) return failure('missing_permission');
    if (CHAT_GONE.test(error.description)) {
      const migratedTo = error.parameters?.migrate_to_chat_id;
      return migratedTo === undefined
        ? failure('not_connected')
        : new CommunityPlatformError('telegram', 'not_connected', `${message}; the chat is now ${migratedTo}`, { platformCode: code });
    }
    return failure('invalid_request');
  }

  /** The token is part of every URL; fetch errors quote the URL, so strip it wherever it appears. */
  private sanitize(text: string): string {
    return redactSecrets(text, [this.botToken]).replace(/\/bot\d+:[^/\s]+/g, '/bot[token]');
  }
}

type Json = Record<string, unknown>;
const objectOf = (value: unknown): Json | null =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : null;
const idOf = (value: unknown): string | null =>
  typeof value === 'number' && Number.isSafeInteger(value)
    ? String(value)
    : typeof value === 'string' && /^-?\d+$/.test(value)
      ? value
      : null;
const textOf = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * Reads one raw Update (from getUpdates or the webhook body) into a TelegramUpdate; anything we
 * do not act on is 'other'. Throws only when the body is not an update at all.
 */
export function readTelegramUpdate(raw: unknown): TelegramUpdate {
  const update = objectOf(raw);
  const updateId = update?.update_id;
  if (!update || typeof updateId !== 'number' || !Number.isSafeInteger(updateId))
    throw new TypeError('Not a Telegram update: update_id is missing');
  const other = { kind: 'other', updateId } as const;

  const joinRequest = objectOf(update.chat_join_request);
  if (joinRequest) {
    const chatId = idOf(objectOf(joinRequest.chat)?.id);
    const userId = idOf(objectOf(joinRequest.from)?.id);
    if (chatId === null || userId === null) return other;
    return { kind: 'join_request', updateId, chatId, userId, inviteUrl: textOf(objectOf(joinRequest.invite_link)?.invite_link) };
  }

  const message = objectOf(update.message) ?? objectOf(update.channel_post);
  const chat = objectOf(message?.chat);
  const text = textOf(message?.text);
  const chatId = idOf(chat?.id);
  if (!message || !chat || text === null || chatId === null) return other;

  if (chat.type === 'private' && update.message) {
    // "/start payload", or "/start@BotName payload" when typed by hand.
    const start = /^\/start(?:@\w+)?(?:\s+(\S+))?\s*$/.exec(text);
    const from = objectOf(message.from);
    const userId = idOf(from?.id);
    if (!start || userId === null) return other;
    return { kind: 'start', updateId, userId, username: textOf(from?.username), payload: start[1] ?? '' };
  }
  if (chat.type === 'group' || chat.type === 'supergroup' || chat.type === 'channel') {
    const senderChatId = idOf(objectOf(message.sender_chat)?.id);
    const sender = senderChatId !== null ? null : idOf(objectOf(message.from)?.id);
    // As the group itself is an anonymous administrator; as another chat (anyone's own channel) proves nothing.
    const asOtherChat = chat.type !== 'channel' && senderChatId !== null && senderChatId !== chatId;
    return {
      kind: 'post',
      updateId,
      chatId,
      chatTitle: textOf(chat.title),
      chatType: chat.type,
      text,
      fromUserId: chat.type === 'channel' ? null : sender,
      asOtherChat,
    };
  }
  return other;
}
