import type { DbExecutor } from '../db/schema';

/**
 * The one lock order for a subscription and the invoice that bought it: the invoice first, then
 * the subscription. Everything that starts from the order takes them that way already (planning
 * its community grants, its status transitions: refunds, disputes), so a transaction that starts
 * from the subscription and will touch the invoice too (a first payment settling it, a resume
 * inserting grants that reference it, which takes the invoice's key-share lock) takes the
 * invoice's lock before the subscription's. Taking them the other way round is the cycle
 * Postgres aborts with 40P01 (deadlock_detected).
 *
 * A subscription's invoice never changes (set when the row is made), so reading it unlocked
 * first is safe.
 */
export async function lockInvoiceOfSubscription(trx: DbExecutor, subscriptionId: number): Promise<number> {
  const { invoice_id } = await trx
    .selectFrom('subscriptions')
    .select('invoice_id')
    .where('id', '=', subscriptionId)
    .executeTakeFirstOrThrow();
  await trx.selectFrom('invoices').select('id').where('id', '=', invoice_id).forUpdate().execute();
  return invoice_id;
}
