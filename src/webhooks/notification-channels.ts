import { CatalogNotFoundError, CatalogRuleError } from '../catalog/errors';
import type { Db } from '../db/schema';
import type { SecretBox } from '../security/secret-box';
import { type ChannelScope, normalizeEvents, rowIdOf } from './channels';
import type { NotificationSettings } from './notifications';

/**
 * A store's notification channels: where the store hears of its own events (a Discord webhook or
 * e-mail addresses), one set per mode. Their settings hold a Discord token or addresses, so they
 * are sealed at rest and opened only here. Two APIs show them: Sellflow's v2 (kind, name,
 * events, settings) and SellApp's store notification channels (type, email, channel, webhook,
 * where a Discord URL is only ever said to be configured).
 */

type ChannelKind = 'discord' | 'email';

/** A store's live (not deleted) channels of one mode; nothing selected yet. */
function storeChannels(db: Db, scope: ChannelScope) {
  return db
    .selectFrom('notification_channels')
    .where('store_id', '=', scope.storeId)
    .where('livemode', '=', scope.livemode)
    .where('deleted_at', 'is', null);
}

function openSettings(secrets: SecretBox, sealed: string): NotificationSettings {
  return JSON.parse(secrets.open(sealed)) as NotificationSettings;
}

/** Soft delete: deliveries already made keep naming the channel. */
export async function removeChannel(db: Db, id: number): Promise<void> {
  await db.updateTable('notification_channels').set({ deleted_at: new Date() }).where('id', '=', id).execute();
}

// Sellflow's v2 model.

export interface ChannelInput {
  kind: ChannelKind;
  name?: string;
  events: string[];
  settings: NotificationSettings;
}

/** A channel with its settings opened. */
export interface NotificationChannel {
  row: { id: number; kind: ChannelKind; name: string | null; events: string[]; created_at: Date };
  settings: NotificationSettings;
}

const V2_COLUMNS = ['id', 'kind', 'name', 'events', 'created_at', 'settings_sealed'] as const;

function opened(secrets: SecretBox, { settings_sealed, ...row }: NotificationChannel['row'] & { settings_sealed: string }) {
  return { row, settings: openSettings(secrets, settings_sealed) };
}

/** The store's channels of one mode, oldest first. */
export async function listChannels(db: Db, secrets: SecretBox, storeId: number, livemode: boolean): Promise<NotificationChannel[]> {
  const rows = await storeChannels(db, { storeId, livemode }).select(V2_COLUMNS).orderBy('id').execute();
  return rows.map((row) => opened(secrets, row));
}

export async function findChannel(
  db: Db,
  secrets: SecretBox,
  storeId: number,
  livemode: boolean,
  id: number,
): Promise<NotificationChannel | undefined> {
  const row = await storeChannels(db, { storeId, livemode }).select(V2_COLUMNS).where('id', '=', id).executeTakeFirst();
  return row && opened(secrets, row);
}

export async function addChannel(
  db: Db,
  secrets: SecretBox,
  storeId: number,
  livemode: boolean,
  input: ChannelInput,
): Promise<NotificationChannel> {
  const row = await db
    .insertInto('notification_channels')
    .values({
      store_id: storeId,
      livemode,
      kind: input.kind,
      name: input.name ?? null,
      events: input.events,
      settings_sealed: secrets.seal(JSON.stringify(input.settings)),
      deleted_at: null,
    })
    .returning(['id', 'kind', 'name', 'events', 'created_at'])
    .executeTakeFirstOrThrow();
  return { row, settings: input.settings };
}

// SellApp's model (/v2/store/notification-channels).

export interface NotificationChannelInput {
  type?: 'email' | 'discord';
  email?: string;
  /** Discord: the channel's name, for the seller's reference. */
  channel?: string;
  webhook?: string;
  allowed_notifications?: string[];
}

interface ChannelRow {
  id: number;
  kind: ChannelKind;
  name: string | null;
  events: string[];
  settings_sealed: string;
}

export function notificationChannelView(row: ChannelRow, secrets: SecretBox) {
  const settings = openSettings(secrets, row.settings_sealed);
  return {
    id: String(row.id),
    type: row.kind,
    email: row.kind === 'email' ? (settings.to?.[0] ?? null) : null,
    channel: row.kind === 'discord' ? row.name : null,
    webhook_configured: Boolean(settings.webhook_url),
    allowed_notifications: row.events,
  };
}

const COLUMNS = ['id', 'kind', 'name', 'events', 'settings_sealed'] as const;

export function listNotificationChannels(db: Db, scope: ChannelScope): Promise<ChannelRow[]> {
  return storeChannels(db, scope).select(COLUMNS).orderBy('id').execute();
}

export async function loadNotificationChannel(db: Db, scope: ChannelScope, id: string): Promise<ChannelRow> {
  const rowId = rowIdOf(id);
  const row = rowId === null ? undefined : await storeChannels(db, scope).select(COLUMNS).where('id', '=', rowId).executeTakeFirst();
  if (!row) throw new CatalogNotFoundError('Notification channel');
  return row;
}

/** The channel's kind, where it goes and what it hears of, with the input laid over `current` (a PATCH). */
function resolve(input: NotificationChannelInput, current?: { kind: ChannelKind; name: string | null; settings: NotificationSettings }) {
  const kind = input.type ?? current?.kind;
  if (!kind) throw new CatalogRuleError('missing_field', 'type is required (email or discord)', 'channel.type');
  const same = current?.kind === kind ? current : undefined;
  if (kind === 'email') {
    const email = input.email ?? same?.settings.to?.[0];
    if (!email) throw new CatalogRuleError('missing_field', 'An e-mail channel needs email', 'channel.email');
    return { kind, name: null, settings: { to: [email] } satisfies NotificationSettings };
  }
  const webhook = input.webhook ?? same?.settings.webhook_url;
  if (!webhook) throw new CatalogRuleError('missing_field', 'A Discord channel needs its webhook URL', 'channel.webhook');
  return { kind, name: input.channel ?? same?.name ?? null, settings: { webhook_url: webhook } satisfies NotificationSettings };
}

export async function createNotificationChannel(db: Db, secrets: SecretBox, scope: ChannelScope, input: NotificationChannelInput) {
  if (!input.allowed_notifications?.length)
    throw new CatalogRuleError('missing_field', 'allowed_notifications names at least one event', 'channel.allowed_notifications');
  const channel = resolve(input);
  return db
    .insertInto('notification_channels')
    .values({
      store_id: scope.storeId,
      livemode: scope.livemode,
      kind: channel.kind,
      name: channel.name,
      events: normalizeEvents(input.allowed_notifications),
      settings_sealed: secrets.seal(JSON.stringify(channel.settings)),
      deleted_at: null,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
}

/** PATCH: what is given; PUT sends the whole channel, which `resolve` then needs no more of. */
export async function updateNotificationChannel(
  db: Db,
  secrets: SecretBox,
  scope: ChannelScope,
  id: string,
  input: NotificationChannelInput,
) {
  const row = await loadNotificationChannel(db, scope, id);
  const settings = openSettings(secrets, row.settings_sealed);
  const channel = resolve(input, { kind: row.kind, name: row.name, settings });
  return db
    .updateTable('notification_channels')
    .set({
      kind: channel.kind,
      name: channel.name,
      settings_sealed: secrets.seal(JSON.stringify(channel.settings)),
      ...(input.allowed_notifications?.length ? { events: normalizeEvents(input.allowed_notifications) } : {}),
    })
    .where('id', '=', row.id)
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
}

export async function deleteNotificationChannel(db: Db, scope: ChannelScope, id: string): Promise<ChannelRow> {
  const row = await loadNotificationChannel(db, scope, id);
  await removeChannel(db, row.id);
  return row;
}
