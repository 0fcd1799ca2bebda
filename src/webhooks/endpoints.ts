import { randomBytes } from 'node:crypto';
import type { Db } from '../db/schema';
import type { SecretBox } from '../security/secret-box';

/** What a seller sees of an endpoint (never its secret). */
export const ENDPOINT_COLUMNS = [
  'id',
  'url',
  'description',
  'events',
  'status',
  'livemode',
  'consecutive_failures',
  'paused_at',
  'created_at',
  'updated_at',
] as const;

export interface EndpointInput {
  url: string;
  events: string[];
  description?: string | null;
}

export interface EndpointChange extends Partial<EndpointInput> {
  status?: 'active' | 'paused';
}

/** The live endpoints of a store in one mode (test keys see test endpoints only), nothing selected yet. */
export function storeEndpoints(db: Db, storeId: number, livemode: boolean) {
  return db
    .selectFrom('webhook_endpoints')
    .where('store_id', '=', storeId)
    .where('livemode', '=', livemode)
    .where('deleted_at', 'is', null);
}

export function findEndpoint(db: Db, storeId: number, livemode: boolean, id: number) {
  return storeEndpoints(db, storeId, livemode).select(ENDPOINT_COLUMNS).where('id', '=', id).executeTakeFirst();
}

/** Adds an endpoint with a new signing secret, sealed at rest; the secret is returned this once. */
export async function addEndpoint(db: Db, secrets: SecretBox, storeId: number, livemode: boolean, input: EndpointInput) {
  const secret = `whsec_${randomBytes(24).toString('hex')}`;
  const row = await db
    .insertInto('webhook_endpoints')
    .values({
      store_id: storeId,
      livemode,
      url: input.url,
      description: input.description ?? null,
      events: input.events,
      secret_sealed: secrets.seal(secret),
      paused_at: null,
      deleted_at: null,
    })
    .returning(ENDPOINT_COLUMNS)
    .executeTakeFirstOrThrow();
  return { row, secret };
}

/** Changes what is given; pausing stamps the time, resuming clears it and the failure count. */
export async function changeEndpoint(db: Db, id: number, change: EndpointChange): Promise<void> {
  await db
    .updateTable('webhook_endpoints')
    .set({
      ...(change.url !== undefined ? { url: change.url } : {}),
      ...(change.events !== undefined ? { events: change.events } : {}),
      ...(change.description !== undefined ? { description: change.description } : {}),
      ...(change.status === 'paused' ? { status: 'paused' as const, paused_at: new Date() } : {}),
      ...(change.status === 'active' ? { status: 'active' as const, paused_at: null, consecutive_failures: 0 } : {}),
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .execute();
}

/** Soft-deletes: its past deliveries stay readable. */
export async function removeEndpoint(db: Db, id: number): Promise<void> {
  await db.updateTable('webhook_endpoints').set({ deleted_at: new Date() }).where('id', '=', id).execute();
}

/** An endpoint's deliveries with their event's type, nothing selected yet. */
export function endpointDeliveries(db: Db, endpointId: number) {
  return db.selectFrom('webhook_deliveries as d').innerJoin('events as e', 'e.id', 'd.event_id').where('d.endpoint_id', '=', endpointId);
}

export const DELIVERY_COLUMNS = [
  'd.id',
  'd.event_id',
  'e.type',
  'd.status',
  'd.attempts',
  'd.response_code',
  'd.duration_ms',
  'd.error',
  'd.last_attempt_at',
  'd.created_at',
] as const;
