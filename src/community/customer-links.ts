import { createHash, randomBytes } from 'node:crypto';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { sql } from 'kysely';
import type { Db } from '../db/schema';
import { discordAdapter, telegramAdapter } from './adapters';
import { sealCredentials } from './connection-credentials';
import { CommunityConflictError, CommunityRuleError } from './errors';
import type { CommunityPlatform } from './platform';
import { type CommunityServices, loadConnection } from './spaces';

/** A pending link lives this long: the customer is in the middle of checkout. */
const LINK_TOKEN_TTL_MS = 60 * 60 * 1000;

export const hashLinkToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export interface LinkInvoice {
  id: number;
  store_id: number;
}

/**
 * Once access is granted to an account, relinking another one would leave the first with the
 * access and nothing to revoke it by: ops revoke first, then the customer links again.
 */
async function assertNotGranted(db: Db, invoiceId: number, platform: CommunityPlatform): Promise<void> {
  const granted = await db
    .selectFrom('community_grants')
    .select('id')
    .where('invoice_id', '=', invoiceId)
    .where('platform', '=', platform)
    .where('status', '=', 'granted')
    .executeTakeFirst();
  if (granted)
    throw new CommunityConflictError(
      'already_granted',
      `Access on ${platform} was already granted to the linked account (grant ${granted.id}); it cannot be moved to another account`,
      'platform',
    );
}

/** Spends a pending link's token: one winner when two callbacks race with the same token. */
async function consumeLinkToken(
  db: Db,
  linkId: number,
  token: string,
  values: { external_user_id: string; username: string | null; credentials_sealed?: string | null },
): Promise<boolean> {
  const updated = await db
    .updateTable('invoice_community_links')
    .set({ ...values, linked_at: new Date(), link_token_hash: null, link_token_expires_at: null })
    .where('id', '=', linkId)
    .where('link_token_hash', '=', hashLinkToken(token))
    .returning('id')
    .executeTakeFirst();
  return updated !== undefined;
}

async function issueLinkToken(db: Db, invoice: LinkInvoice, platform: CommunityPlatform): Promise<string> {
  await assertNotGranted(db, invoice.id, platform);
  // base64url: what Telegram's /start payload allows, and safe in an OAuth2 state.
  const token = randomBytes(24).toString('base64url');
  const expires = new Date(Date.now() + LINK_TOKEN_TTL_MS);
  await db
    .insertInto('invoice_community_links')
    .values({
      store_id: invoice.store_id,
      invoice_id: invoice.id,
      platform,
      link_token_hash: hashLinkToken(token),
      link_token_expires_at: expires,
    })
    .onConflict((oc) =>
      oc.constraint('invoice_community_links_uq').doUpdateSet({ link_token_hash: hashLinkToken(token), link_token_expires_at: expires }),
    )
    .execute();
  return token;
}

/** The pending link a token names, if it has not expired. */
export async function linkForToken(db: Db, platform: CommunityPlatform, token: string) {
  return db
    .selectFrom('invoice_community_links')
    .select(['id', 'invoice_id', 'store_id'])
    .where('platform', '=', platform)
    .where('link_token_hash', '=', hashLinkToken(token))
    .where('link_token_expires_at', '>', new Date())
    .executeTakeFirst();
}

/** Discord OAuth2 (identify + guilds.join) through the store's bot application. */
export async function startDiscordLink(
  services: CommunityServices,
  invoice: LinkInvoice,
  redirectUri: string,
): Promise<{ authorize_url: string }> {
  const connection = await loadConnection(services.db, invoice.store_id, 'discord');
  const adapter = discordAdapter(services.config, services.secrets, connection);
  const state = await issueLinkToken(services.db, invoice, 'discord');
  return { authorize_url: adapter.authorizeUrl({ redirectUri, state }) };
}

/** The OAuth2 callback: the code becomes the customer's Discord id and a guilds.join token, sealed. */
export async function completeDiscordLink(
  services: CommunityServices,
  state: string,
  code: string,
  redirectUri: string,
): Promise<{ invoiceId: number; username: string }> {
  const link = await linkForToken(services.db, 'discord', state);
  if (!link)
    throw new CommunityRuleError(
      'link_expired',
      'This Discord link has expired or was already used; start linking again from the checkout',
      'state',
    );
  const connection = await loadConnection(services.db, link.store_id, 'discord');
  const authorization = await discordAdapter(services.config, services.secrets, connection).exchangeCode({ code, redirectUri });
  const consumed = await consumeLinkToken(services.db, link.id, state, {
    external_user_id: authorization.userId,
    username: authorization.username,
    credentials_sealed: sealCredentials(services.secrets, {
      access_token: authorization.accessToken,
      refresh_token: authorization.refreshToken,
      expires_at: authorization.expiresAt,
    }),
  });
  if (!consumed)
    throw new CommunityRuleError('link_expired', 'This Discord link was already used; start linking again from the checkout', 'state');
  return { invoiceId: link.invoice_id, username: authorization.username };
}

/** A deep link to our bot; its /start payload binds the Telegram user who opens it. */
export async function startTelegramLink(services: CommunityServices, invoice: LinkInvoice): Promise<{ link: string }> {
  const adapter = telegramAdapter(services.config);
  const token = await issueLinkToken(services.db, invoice, 'telegram');
  return { link: await adapter.deepLink(token) };
}

/** The bot saw /start <payload>: that Telegram user is the invoice's customer. */
export async function completeTelegramLink(
  db: Db,
  payload: string,
  user: { userId: string; username: string | null },
): Promise<number | null> {
  const link = await linkForToken(db, 'telegram', payload);
  if (!link) return null;
  return (await consumeLinkToken(db, link.id, payload, { external_user_id: user.userId, username: user.username }))
    ? link.invoice_id
    : null;
}

/** WhatsApp: the number the customer will ask to join from, in E.164. */
export async function setWhatsAppPhone(db: Db, invoice: LinkInvoice, phone: string): Promise<string> {
  const parsed = parsePhoneNumberFromString(phone);
  if (!parsed?.isValid())
    throw new CommunityRuleError('invalid_phone', 'Give the WhatsApp number in international format, e.g. +14155550123', 'phone');
  await assertNotGranted(db, invoice.id, 'whatsapp');
  const e164 = parsed.number;
  const values = { phone: e164, external_user_id: e164, linked_at: new Date() };
  await db
    .insertInto('invoice_community_links')
    .values({ store_id: invoice.store_id, invoice_id: invoice.id, platform: 'whatsapp', ...values })
    .onConflict((oc) => oc.constraint('invoice_community_links_uq').doUpdateSet(values))
    .execute();
  return e164;
}

/**
 * What the invoice's variants sell and which links the customer has made: the checkout's
 * "connect your account" steps. Slack needs none (the customer is matched by e-mail).
 */
export async function communityLinkSteps(db: Db, invoiceId: number) {
  const accesses = await db
    .selectFrom('invoice_lines as l')
    .innerJoin('product_variants as v', 'v.id', 'l.variant_id')
    .innerJoin('variant_community_access as a', 'a.variant_id', 'l.variant_id')
    .innerJoin('community_spaces as s', 's.id', 'a.space_id')
    .select([
      's.platform',
      'a.linking_required',
      sql<boolean>`coalesce((v.other_settings->>'discord_data_required')::boolean, false)`.as('discord_data_required'),
    ])
    .where('l.invoice_id', '=', invoiceId)
    .where('s.deleted_at', 'is', null)
    .execute();
  const links = await db
    .selectFrom('invoice_community_links')
    .select(['platform', 'username', 'phone', 'linked_at'])
    .where('invoice_id', '=', invoiceId)
    .execute();
  const platforms = [...new Set(accesses.map((a) => a.platform))].filter((p) => p !== 'slack');
  return platforms.map((platform) => {
    const link = links.find((l) => l.platform === platform && l.linked_at);
    return {
      platform,
      // SellApp's variant flag discord_data_required means the same as linking_required for Discord.
      required: accesses.some(
        (a) => a.platform === platform && (a.linking_required || (platform === 'discord' && a.discord_data_required)),
      ),
      linked: Boolean(link),
      username: link?.username ?? null,
      phone: link?.phone ?? null,
    };
  });
}

/** Checkout refuses to take money while a required link is missing. */
export async function assertRequiredLinks(db: Db, invoiceId: number): Promise<void> {
  const missing = (await communityLinkSteps(db, invoiceId)).filter((s) => s.required && !s.linked);
  if (missing.length === 0) return;
  const how: Record<string, string> = {
    discord: 'POST /invoices/{id}/community/discord/authorize',
    telegram: 'POST /invoices/{id}/community/telegram/link',
    whatsapp: 'PUT /invoices/{id}/community/whatsapp',
  };
  throw new CommunityRuleError(
    'community_link_required',
    `The customer must link ${missing.map((m) => m.platform).join(' and ')} before paying (${missing.map((m) => how[m.platform]).join(', ')})`,
    'community',
  );
}

/** Grants of this invoice on this platform that are waiting: the customer just acted. */
export async function waitingGrants(db: Db, invoiceId: number, platform: CommunityPlatform): Promise<number[]> {
  const rows = await db
    .selectFrom('community_grants')
    .select('id')
    .where('invoice_id', '=', invoiceId)
    .where('platform', '=', platform)
    .where('status', 'in', ['awaiting_customer', 'processing'])
    .execute();
  return rows.map((r) => r.id);
}

/** The store's invoice or charge of one mode whose customer links accounts; undefined when there is none. */
export function findLinkInvoice(db: Db, storeId: number, livemode: boolean, id: number) {
  return db
    .selectFrom('invoices')
    .select(['id', 'store_id', 'status'])
    .where('id', '=', id)
    .where('store_id', '=', storeId)
    .where('livemode', '=', livemode)
    .executeTakeFirst();
}
