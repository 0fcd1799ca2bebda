import { randomBytes } from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import { CatalogNotFoundError, CatalogRuleError } from '../catalog/errors';
import type { Db, DbExecutor } from '../db/schema';
import type { WebhookEndpointsTable } from '../db/schema/events';
import { SUBSCRIBABLE_EVENTS } from '../events/catalog';
import type { SecretBox } from '../security/secret-box';
import { postSignedEvent, WEBHOOK_TIMEOUT_MS } from './delivery';

/**
 * SellApp's webhook channels: the store's webhook endpoints under the spec's model (a string id,
 * `name`, `allowed_notifications`) with one signing secret for the whole store and mode.
 */

export const CHANNEL_EVENTS = SUBSCRIBABLE_EVENTS;

/** The events a channel subscribes to, once each, as it named them (the spec's and the seeds' names are both events). */
export function normalizeEvents(names: string[]): string[] {
  return [...new Set(names)];
}

/** A row id the spec sends as a string; null when it cannot be one of ours (an integer column). */
export function rowIdOf(id: string): number | null {
  return /^\d{1,10}$/.test(id) && Number(id) <= 2_147_483_647 ? Number(id) : null;
}

export interface ChannelScope {
  storeId: number;
  livemode: boolean;
}

export interface ChannelInput {
  name?: string | null;
  url?: string;
  allowed_notifications?: string[];
}

const COLUMNS = ['id', 'url', 'description', 'events', 'created_at', 'updated_at'] as const;
type ChannelRow = Pick<Selectable<WebhookEndpointsTable>, (typeof COLUMNS)[number]>;

/** The store's live channels of one mode, nothing selected yet: the list and the search page through it. */
export function channelsOf(db: Db, scope: ChannelScope) {
  return db
    .selectFrom('webhook_endpoints')
    .where('store_id', '=', scope.storeId)
    .where('livemode', '=', scope.livemode)
    .where('deleted_at', 'is', null);
}

/** The search's filters: free text over name and URL, and one subscribed event. */
export function channelsMatching(db: Db, scope: ChannelScope, filter: { value?: string | null; event?: string | null }) {
  let query = channelsOf(db, scope);
  if (filter.value) {
    const like = `%${filter.value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) => eb.or([eb('description', 'ilike', like), eb('url', 'ilike', like)]));
  }
  if (filter.event) query = query.where(sql<boolean>`${normalizeEvents([filter.event])[0]!} = any(events)`);
  return query;
}

export const selectChannel = (query: ReturnType<typeof channelsOf>) => query.select(COLUMNS);

/** The spec's WebhookChannel (the stored secret is never shown: every endpoint has one). */
export function channelView(row: ChannelRow) {
  return {
    id: String(row.id),
    name: row.description,
    url: row.url,
    allowed_notifications: row.events,
    signing_secret_configured: true,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export async function loadChannel(db: Db, scope: ChannelScope, id: string): Promise<ChannelRow> {
  const rowId = rowIdOf(id);
  const row = rowId === null ? undefined : await selectChannel(channelsOf(db, scope)).where('id', '=', rowId).executeTakeFirst();
  if (!row) throw new CatalogNotFoundError('Webhook channel');
  return row;
}

async function assertUniqueUrl(db: DbExecutor, scope: ChannelScope, url: string, except?: number): Promise<void> {
  let query = db
    .selectFrom('webhook_endpoints')
    .select('id')
    .where('store_id', '=', scope.storeId)
    .where('livemode', '=', scope.livemode)
    .where('deleted_at', 'is', null)
    .where('url', '=', url);
  if (except !== undefined) query = query.where('id', '!=', except);
  if (await query.executeTakeFirst())
    throw new CatalogRuleError('duplicate_url', 'This URL is already a webhook channel of the store', 'url');
}

export async function createChannel(
  db: Db,
  secrets: SecretBox,
  scope: ChannelScope,
  input: Required<Pick<ChannelInput, 'url' | 'allowed_notifications'>> & ChannelInput,
): Promise<ChannelRow> {
  await assertUniqueUrl(db, scope, input.url);
  // The store's signing secret when it has one; else the endpoint gets its own, as /v2/webhooks gives.
  const storeSecret = await db
    .selectFrom('webhook_signing_secrets')
    .select('secret_sealed')
    .where('store_id', '=', scope.storeId)
    .where('livemode', '=', scope.livemode)
    .executeTakeFirst();
  return db
    .insertInto('webhook_endpoints')
    .values({
      store_id: scope.storeId,
      livemode: scope.livemode,
      url: input.url,
      description: input.name ?? null,
      events: normalizeEvents(input.allowed_notifications),
      secret_sealed: storeSecret?.secret_sealed ?? secrets.seal(`whsec_${randomBytes(24).toString('hex')}`),
      paused_at: null,
      deleted_at: null,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
}

/** PATCH (what is given) and PUT (the whole channel, which the route's schema requires). */
export async function updateChannel(db: Db, scope: ChannelScope, id: string, input: ChannelInput): Promise<ChannelRow> {
  const row = await loadChannel(db, scope, id);
  if (input.url !== undefined) await assertUniqueUrl(db, scope, input.url, row.id);
  return db
    .updateTable('webhook_endpoints')
    .set({
      ...(input.url !== undefined ? { url: input.url } : {}),
      ...(input.name !== undefined ? { description: input.name } : {}),
      ...(input.allowed_notifications !== undefined ? { events: normalizeEvents(input.allowed_notifications) } : {}),
      updated_at: new Date(),
    })
    .where('id', '=', row.id)
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
}

export async function deleteChannel(db: Db, scope: ChannelScope, id: string): Promise<ChannelRow> {
  const row = await loadChannel(db, scope, id);
  await db.updateTable('webhook_endpoints').set({ deleted_at: new Date() }).where('id', '=', row.id).execute();
  return row;
}

/** The seller's new secret becomes the store's (for this mode) and every endpoint's at once. */
export async function rotateSigningSecret(db: Db, secrets: SecretBox, scope: ChannelScope, secret: string): Promise<void> {
  const sealed = secrets.seal(secret);
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('webhook_signing_secrets')
      .values({ store_id: scope.storeId, livemode: scope.livemode, secret_sealed: sealed })
      .onConflict((oc) => oc.columns(['store_id', 'livemode']).doUpdateSet({ secret_sealed: sealed, rotated_at: sql`now()` }))
      .execute();
    await trx
      .updateTable('webhook_endpoints')
      .set({ secret_sealed: sealed, updated_at: new Date() })
      .where('store_id', '=', scope.storeId)
      .where('livemode', '=', scope.livemode)
      .execute();
  });
}

/**
 * One signed mock delivery of `event` to the channel, now: no retry, no redirect, nothing
 * recorded; the event must be one the channel subscribes to.
 */
export async function sendTestWebhook(
  deps: { db: Db; secrets: SecretBox; allowPrivateNetworks: boolean },
  scope: ChannelScope,
  id: string,
  event: string,
): Promise<{ channel_id: string; event: string; status: 'succeeded' | 'failed'; response_status: number | null }> {
  const row = await loadChannel(deps.db, scope, id);
  const type = normalizeEvents([event])[0]!;
  if (!row.events.includes(type)) throw new CatalogRuleError('event_not_allowed', `The channel does not subscribe to ${event}`, 'event');
  const sealed = await deps.db.selectFrom('webhook_endpoints').select('secret_sealed').where('id', '=', row.id).executeTakeFirstOrThrow();
  const eventId = `evt_test_${randomBytes(8).toString('hex')}`;
  const body = JSON.stringify({
    id: eventId,
    type,
    created: Math.floor(Date.now() / 1000),
    livemode: scope.livemode,
    test: true,
    data: {},
  });
  let status: number | null = null;
  try {
    const response = await postSignedEvent(row.url, {
      type,
      eventId,
      body,
      secret: deps.secrets.open(sealed.secret_sealed),
      allowPrivate: deps.allowPrivateNetworks,
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    status = response.status;
    await response.arrayBuffer().catch(() => undefined);
  } catch {
    // Unreachable, refused or blocked: the test failed, which is its answer, not an error.
  }
  const ok = status !== null && status >= 200 && status < 300;
  return { channel_id: String(row.id), event, status: ok ? 'succeeded' : 'failed', response_status: status };
}
