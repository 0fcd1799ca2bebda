import type { Client } from '@temporalio/client';
import type { Db } from '../db/schema';
import type { FulfillmentNoticeRequest } from '../temporal/contracts/order';
import { resendOrderNotifications } from '../webhooks/endpoint-ops';
import { clearDeliveryEmailFailure, type DeliveryEmailDependencies, sendDeliveryEmail } from './delivery-email';

export interface FulfillmentNoticeDependencies {
  db: Db;
  client: Client;
  taskQueue: string;
  /** Where the buyer's delivery e-mail goes out from; absent, only the store's notices are sent. */
  mailer?: Omit<DeliveryEmailDependencies, 'db'>;
}

/**
 * Sends an order's fulfillment notices again: the store's notification channels about the order
 * (Discord, e-mail), each in a delivery workflow of its own, and the buyer's delivery e-mail
 * (to `request.email` when given, only the lines of `request.productVariantIds` when given), all
 * under `resendKey` so a retried call sends nothing twice. This is the one place the order's
 * notices go out again: the order workflow's sendFulfillmentNotices activity and a delivered
 * order's resend both run it. A delivery e-mail that goes out clears the flag its failure raised.
 * How many went out.
 */
export async function sendFulfillmentNotices(
  deps: FulfillmentNoticeDependencies,
  invoiceId: number,
  request: FulfillmentNoticeRequest & { resendKey: string },
): Promise<number> {
  const invoice = await deps.db.selectFrom('invoices').select('store_id').where('id', '=', invoiceId).executeTakeFirstOrThrow();
  let sent = await resendOrderNotifications(deps.db, deps.client, deps.taskQueue, invoice.store_id, invoiceId, request.resendKey);
  if (deps.mailer) {
    const email = await sendDeliveryEmail({ db: deps.db, ...deps.mailer }, invoiceId, {
      sendKey: `resend-${request.resendKey}`,
      ...(request.email ? { email: request.email } : {}),
      ...(request.productVariantIds ? { productVariantIds: request.productVariantIds } : {}),
    });
    if (email.status === 'sent') {
      sent += 1;
      await clearDeliveryEmailFailure(deps.db, invoiceId);
    }
  }
  return sent;
}
