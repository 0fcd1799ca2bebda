import type { Db } from '../db/schema';
import type { SecretBox } from '../security/secret-box';
import type { NotificationSettings } from './notifications';

export interface ChannelInput {
  kind: 'discord' | 'email';
  name?: string;
  events: string[];
  settings: NotificationSettings;
}

/** A channel with its settings opened (they hold a Discord token or addresses, sealed at rest). */
export interface NotificationChannel {
  row: { id: number; kind: ChannelInput['kind']; name: string | null; events: string[]; created_at: Date };
  settings: NotificationSettings;
}

function storeChannels(db: Db, storeId: number, livemode: boolean) {
  return db
    .selectFrom('notification_channels')
    .select(['id', 'kind', 'name', 'events', 'created_at', 'settings_sealed'])
    .where('store_id', '=', storeId)
    .where('livemode', '=', livemode)
    .where('deleted_at', 'is', null);
}

function opened(secrets: SecretBox, { settings_sealed, ...row }: NotificationChannel['row'] & { settings_sealed: string }) {
  return { row, settings: JSON.parse(secrets.open(settings_sealed)) as NotificationSettings };
}

/** The store's channels of one mode, oldest first. */
export async function listChannels(db: Db, secrets: SecretBox, storeId: number, livemode: boolean): Promise<NotificationChannel[]> {
  const rows = await storeChannels(db, storeId, livemode).orderBy('id').execute();
  return rows.map((row) => opened(secrets, row));
}

export async function findChannel(
  db: Db,
  secrets: SecretBox,
  storeId: number,
  livemode: boolean,
  id: number,
): Promise<NotificationChannel | undefined> {
  const row = await storeChannels(db, storeId, livemode).where('id', '=', id).executeTakeFirst();
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

export async function removeChannel(db: Db, id: number): Promise<void> {
  await db.updateTable('notification_channels').set({ deleted_at: new Date() }).where('id', '=', id).execute();
}
