import type { Client } from '@temporalio/client';
import type { Db } from '../db/schema';
import type { FulfillmentNoticeRequest } from '../temporal/contracts/order';
import { resendOrderNotifications } from '../webhooks/endpoint-ops';

export interface FulfillmentNoticeDependencies {
  db: Db;
  client: Client;
  taskQueue: string;
}

/**
 * Sends an order's fulfillment notices again: the store's notification channels about the order
 * (Discord, e-mail), each in a delivery workflow of its own, under `resendKey` so a retried call
 * sends nothing twice. This is the one place the order's notices go out again: the order
 * workflow's sendFulfillmentNotices activity and a delivered order's resend both run it (the
 * buyer's delivery e-mail belongs here too, honouring `request.email`). How many went out.
 */
export async function sendFulfillmentNotices(
  deps: FulfillmentNoticeDependencies,
  invoiceId: number,
  request: FulfillmentNoticeRequest & { resendKey: string },
): Promise<number> {
  const invoice = await deps.db.selectFrom('invoices').select('store_id').where('id', '=', invoiceId).executeTakeFirstOrThrow();
  return resendOrderNotifications(deps.db, deps.client, deps.taskQueue, invoice.store_id, invoiceId, request.resendKey);
}
