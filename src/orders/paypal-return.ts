import type { Db } from '../db/schema';
import { deliverIntents, type EngineConnection } from '../outbox/engine-intents';
import { recordIntent } from '../outbox/record-intent';
import { paypalApproved } from './paypal-approval';
import type { PaypalGatewayRecord } from './paypal-order-record';

/**
 * The buyer came back from PayPal with the order they approved: its capture is owed (the same
 * capture PayPal's CHECKOUT.ORDER.APPROVED owes: whichever comes first starts it, once). Answers
 * the page the buyer's checkout came from, or null when the store has no such invoice.
 */
export async function paypalBuyerReturned(
  engine: EngineConnection & { db: Db },
  storeId: number,
  invoiceId: number,
  orderId: string,
): Promise<{ returnTo: string | null } | null> {
  const found = await engine.db.transaction().execute(async (trx) => {
    // Under the row lock: a capture that finished meanwhile owes nothing more.
    const invoice = await trx
      .selectFrom('invoices')
      .select(['id', 'status', 'gateway'])
      .where('id', '=', invoiceId)
      .where('store_id', '=', storeId)
      .forUpdate()
      .executeTakeFirst();
    if (!invoice) return null;
    const { intent } = await paypalApproved(trx, invoice, orderId);
    return {
      ids: intent ? [await recordIntent(trx, intent)] : [],
      returnTo: (invoice.gateway as PaypalGatewayRecord | null)?.return_to ?? null,
    };
  });
  if (!found) return null;
  await deliverIntents(engine, { ids: found.ids });
  return { returnTo: found.returnTo };
}
