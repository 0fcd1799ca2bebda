import type { Client } from '@temporalio/client';
import type { Db } from '../db/schema';
import { orderEventIds } from '../events/of-order';
import { workflowIds } from '../temporal/workflow-ids';
import { startDeliveryOnce } from './delivery-workflow-client';

/** Resumes a paused endpoint of the store and resets its failure count; false when the store has no such endpoint. */
export async function reactivateEndpoint(db: Db, storeId: number, endpointId: number): Promise<boolean> {
  const updated = await db
    .updateTable('webhook_endpoints')
    .set({ status: 'active', paused_at: null, consecutive_failures: 0, updated_at: new Date() })
    .where('id', '=', endpointId)
    .where('store_id', '=', storeId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}

/**
 * Delivers an event to an endpoint of the store again, in a workflow of its own (the first
 * delivery's workflow id is taken); false when the store (or the endpoint, when named) has no such delivery.
 */
export async function resendDelivery(
  db: Db,
  client: Client,
  taskQueue: string,
  storeId: number,
  deliveryId: number,
  endpointId?: number,
): Promise<boolean> {
  const delivery = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as w', 'w.id', 'd.endpoint_id')
    .select(['d.id', 'd.event_id', 'd.endpoint_id'])
    .where('d.id', '=', deliveryId)
    .where('w.store_id', '=', storeId)
    .$if(endpointId !== undefined, (q) => q.where('d.endpoint_id', '=', endpointId!))
    .executeTakeFirst();
  if (!delivery) return false;
  await db.updateTable('webhook_deliveries').set({ status: 'pending', error: null }).where('id', '=', delivery.id).execute();
  await startAgain(client, taskQueue, 'webhookDelivery', workflowIds.webhookDelivery(delivery.event_id, delivery.endpoint_id), delivery.id);
  return true;
}

/**
 * Sends the store's notifications (Discord, e-mail) about an order again, each in a workflow of
 * its own, delivered ones too (ops resend what a person says they never got); how many. The same
 * `resendKey` (an activity's retry) starts no second copy.
 */
export async function resendOrderNotifications(
  db: Db,
  client: Client,
  taskQueue: string,
  storeId: number,
  invoiceId: number,
  resendKey: string = String(Date.now()),
): Promise<number> {
  const deliveries = await db
    .selectFrom('notification_deliveries')
    .select(['id', 'event_id', 'channel_id'])
    .where('event_id', 'in', orderEventIds(db, storeId, invoiceId))
    .orderBy('id')
    .execute();
  for (const delivery of deliveries) {
    await db.updateTable('notification_deliveries').set({ status: 'pending', error: null }).where('id', '=', delivery.id).execute();
    await startAgain(
      client,
      taskQueue,
      'notificationDelivery',
      workflowIds.notificationDelivery(delivery.event_id, delivery.channel_id),
      delivery.id,
      resendKey,
    );
  }
  return deliveries.length;
}

/** A delivery's workflow again: the first one's id is taken, so this one's says it is a resend. */
function startAgain(
  client: Client,
  taskQueue: string,
  type: 'webhookDelivery' | 'notificationDelivery',
  firstId: string,
  deliveryId: number,
  resendKey: string = String(Date.now()),
) {
  return startDeliveryOnce(client, taskQueue, { type, workflowId: `${firstId}-resend-${resendKey}`, args: [{ deliveryId }] });
}
