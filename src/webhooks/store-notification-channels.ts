import { CatalogNotFoundError, CatalogRuleError } from '../catalog/errors';
import type { Db } from '../db/schema';
import type { SecretBox } from '../security/secret-box';
import type { ChannelScope } from './channels';
import { normalizeEvents, rowIdOf } from './channels';
import type { NotificationSettings } from './notifications';

/**
 * SellApp's store notification channels (/v2/store/notification-channels): the store's e-mail and
 * Discord notification channels under the spec's model. A Discord webhook URL carries a token, so
 * it is only ever said to be configured.
 */

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
  kind: 'discord' | 'email';
  name: string | null;
  events: string[];
  settings_sealed: string;
}

export function notificationChannelView(row: ChannelRow, secrets: SecretBox) {
  const settings = JSON.parse(secrets.open(row.settings_sealed)) as NotificationSettings;
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

function channelsOf(db: Db, scope: ChannelScope) {
  return db
    .selectFrom('notification_channels')
    .select(COLUMNS)
    .where('store_id', '=', scope.storeId)
    .where('livemode', '=', scope.livemode)
    .where('deleted_at', 'is', null);
}

export function listNotificationChannels(db: Db, scope: ChannelScope): Promise<ChannelRow[]> {
  return channelsOf(db, scope).orderBy('id').execute();
}

export async function loadNotificationChannel(db: Db, scope: ChannelScope, id: string): Promise<ChannelRow> {
  const rowId = rowIdOf(id);
  const row = rowId === null ? undefined : await channelsOf(db, scope).where('id', '=', rowId).executeTakeFirst();
  if (!row) throw new CatalogNotFoundError('Notification channel');
  return row;
}

/** The channel's kind, where it goes and what it hears of, with the input laid over `current` (a PATCH). */
function resolve(
  input: NotificationChannelInput,
  current?: { kind: 'discord' | 'email'; name: string | null; settings: NotificationSettings },
) {
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
  const settings = JSON.parse(secrets.open(row.settings_sealed)) as NotificationSettings;
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
  await db.updateTable('notification_channels').set({ deleted_at: new Date() }).where('id', '=', row.id).execute();
  return row;
}
