import type { Client } from '@temporalio/client';
import { CatalogNotFoundError } from '../catalog/errors';
import type { Db } from '../db/schema';
import { resendDelivery } from './endpoint-ops';
import { type ChannelScope, rowIdOf } from './channels';

/**
 * SellApp's webhook deliveries: every delivery to the store's endpoints of one mode, with the
 * destination's origin only (its path may carry a token) and no response body (none is kept).
 */
export function deliveriesOf(db: Db, scope: ChannelScope) {
  return db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as w', 'w.id', 'd.endpoint_id')
    .innerJoin('events as e', 'e.id', 'd.event_id')
    .where('w.store_id', '=', scope.storeId)
    .where('w.livemode', '=', scope.livemode);
}

export const selectDelivery = (query: ReturnType<typeof deliveriesOf>) =>
  query.select(['d.id', 'd.event_id', 'e.type as event_type', 'd.status', 'w.url', 'd.attempts', 'd.response_code', 'd.created_at']);

type DeliveryRow = Awaited<ReturnType<ReturnType<typeof selectDelivery>['executeTakeFirstOrThrow']>>;

export function deliveryView(row: DeliveryRow) {
  return {
    id: String(row.id),
    event_id: row.event_id,
    event_type: row.event_type,
    status: row.status,
    destination_origin: new URL(row.url).origin,
    attempts: row.attempts,
    response_status: row.response_code,
    response_body: null,
    created_at: row.created_at.toISOString(),
  };
}

export async function loadDelivery(db: Db, scope: ChannelScope, id: string): Promise<DeliveryRow> {
  const rowId = rowIdOf(id);
  const row = rowId === null ? undefined : await selectDelivery(deliveriesOf(db, scope)).where('d.id', '=', rowId).executeTakeFirst();
  if (!row) throw new CatalogNotFoundError('Webhook delivery');
  return row;
}

/**
 * Sends the delivery's event to its endpoint again, signed anew. Sellflow keeps one delivery row
 * per event and endpoint, so the replay is that row again (pending), not a new id.
 */
export async function replayDelivery(db: Db, client: Client, taskQueue: string, scope: ChannelScope, id: string): Promise<DeliveryRow> {
  const row = await loadDelivery(db, scope, id);
  await resendDelivery(db, client, taskQueue, scope.storeId, row.id);
  return loadDelivery(db, scope, id);
}
