import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/schema';
import type { Logger } from '../logger';
import { telegramAdapter } from './adapters';
import { connectPlatform } from './connections';
import { completeTelegramLink, waitingGrants } from './customer-links';
import { CommunityNotFoundError } from './errors';
import type { CommunityGrantWorkflows } from './grant-workflow-client';
import { type CommunityServices, checkSpaceHealth } from './spaces';
import type { TelegramUpdate } from './telegram/telegram-adapter';

const CODE_TTL_MS = 60 * 60 * 1000;
// Crockford-ish base32 without look-alikes: easy to type into a Telegram chat.
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ23456789';
const CODE_PATTERN = /\bSF-[A-HJKMNP-TV-Z2-9]{10}\b/g;

const hashCode = (code: string) => createHash('sha256').update(code, 'utf8').digest('hex');

function newCode(): string {
  let body = '';
  for (const byte of randomBytes(10)) body += CODE_ALPHABET[byte % CODE_ALPHABET.length];
  return `SF-${body}`;
}

/** Telegram's connect flow: the seller posts this code where our bot can read it. */
export async function issueConnectCode(services: CommunityServices, storeId: number) {
  const connection = await connectPlatform(services, storeId, { platform: 'telegram' });
  const code = newCode();
  const row = await services.db
    .insertInto('telegram_connect_codes')
    .values({ store_id: storeId, code_hash: hashCode(code), expires_at: new Date(Date.now() + CODE_TTL_MS) })
    .returning(['id', 'expires_at'])
    .executeTakeFirstOrThrow();
  return {
    id: row.id,
    code,
    expires_at: row.expires_at.toISOString(),
    bot_username: connection.account_name,
    instructions: `Add @${connection.account_name} to the group or channel as an admin (invite users, ban users), then post ${code} there.`,
  };
}

/** The live status of a code: pending until the bot sees it, then the chat it connected. */
export async function connectCodeStatus(db: Db, storeId: number, codeId: number) {
  const row = await db
    .selectFrom('telegram_connect_codes')
    .selectAll()
    .where('id', '=', codeId)
    .where('store_id', '=', storeId)
    .executeTakeFirst();
  if (!row) throw new CommunityNotFoundError('Telegram connect code');
  const status = row.space_id !== null ? 'connected' : row.expires_at <= new Date() ? 'expired' : 'pending';
  return { id: row.id, status, space_id: row.space_id, expires_at: row.expires_at.toISOString() };
}

async function connectChat(services: CommunityServices, update: Extract<TelegramUpdate, { kind: 'post' }>, logger: Logger): Promise<void> {
  for (const code of update.text.match(CODE_PATTERN) ?? []) {
    const pending = await services.db
      .selectFrom('telegram_connect_codes')
      .select(['id', 'store_id'])
      .where('code_hash', '=', hashCode(code))
      .where('space_id', 'is', null)
      .where('expires_at', '>', new Date())
      .executeTakeFirst();
    if (!pending) continue;
    // Anyone in a group can read and repost a code: only its administrators connect it.
    if (
      update.asOtherChat ||
      (update.fromUserId !== null && !(await telegramAdapter(services.config).isChatAdmin(update.chatId, update.fromUserId)))
    ) {
      logger.warn({ storeId: pending.store_id, chatId: update.chatId }, 'telegram connect code posted by a non-administrator: ignored');
      continue;
    }
    // Our one bot serves every store: a chat belongs to the store that connected it first.
    const claimed = await services.db
      .selectFrom('community_spaces')
      .select('store_id')
      .where('platform', '=', 'telegram')
      .where('external_id', '=', update.chatId)
      .where('store_id', '!=', pending.store_id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (claimed) {
      logger.warn({ storeId: pending.store_id, chatId: update.chatId }, 'telegram chat already connected to another store: ignored');
      continue;
    }
    const connection = await services.db
      .selectFrom('community_connections')
      .select('id')
      .where('store_id', '=', pending.store_id)
      .where('platform', '=', 'telegram')
      .executeTakeFirstOrThrow();
    // Inserted unless already there (a reconnect, or the same post by polling and by webhook at once).
    await services.db
      .insertInto('community_spaces')
      .values({
        store_id: pending.store_id,
        connection_id: connection.id,
        platform: 'telegram',
        external_id: update.chatId,
        name: update.chatTitle,
        kind: update.chatType,
        deleted_at: null,
      })
      .onConflict((oc) => oc.columns(['store_id', 'platform', 'external_id']).where('deleted_at', 'is', null).doNothing())
      .execute();
    const { id: spaceId } = await services.db
      .selectFrom('community_spaces')
      .select('id')
      .where('store_id', '=', pending.store_id)
      .where('platform', '=', 'telegram')
      .where('external_id', '=', update.chatId)
      .where('deleted_at', 'is', null)
      .executeTakeFirstOrThrow();
    await services.db.updateTable('telegram_connect_codes').set({ space_id: spaceId }).where('id', '=', pending.id).execute();
    logger.info({ storeId: pending.store_id, spaceId }, 'telegram chat connected');
    try {
      await checkSpaceHealth(services, pending.store_id, spaceId);
    } catch (error) {
      // The chat is connected either way; the seller re-checks health from the API.
      logger.warn({ err: error, spaceId }, 'telegram health check after connecting failed');
    }
  }
}

/**
 * One update from our bot, by polling or webhook: a connect code posted in a chat, a customer's
 * /start from the checkout's deep link, or a join request a waiting grant can now approve.
 */
export async function handleTelegramUpdate(
  services: CommunityServices,
  grants: CommunityGrantWorkflows,
  update: TelegramUpdate,
  logger: Logger,
): Promise<void> {
  if (update.kind === 'post') return connectChat(services, update, logger);
  if (update.kind === 'start') {
    const invoiceId = await completeTelegramLink(services.db, update.payload, { userId: update.userId, username: update.username });
    if (invoiceId === null) return;
    await grants.customerActed(await waitingGrants(services.db, invoiceId, 'telegram'));
    try {
      await telegramAdapter(services.config).sendMessage(
        update.userId,
        'Your Telegram account is linked to your order. You will get access once it is complete.',
      );
    } catch (error) {
      logger.warn({ err: error }, 'telegram link confirmation not sent');
    }
    return;
  }
  if (update.kind === 'join_request') {
    const rows = await services.db
      .selectFrom('community_grants as g')
      .innerJoin('community_spaces as s', 's.id', 'g.space_id')
      .innerJoin('invoice_community_links as l', (join) =>
        join.onRef('l.invoice_id', '=', 'g.invoice_id').on('l.platform', '=', 'telegram'),
      )
      .select('g.id')
      .where('s.platform', '=', 'telegram')
      .where('s.external_id', '=', update.chatId)
      .where('l.external_user_id', '=', update.userId)
      .where('g.status', 'in', ['awaiting_customer', 'processing'])
      .execute();
    await grants.customerActed(rows.map((r) => r.id));
  }
}
