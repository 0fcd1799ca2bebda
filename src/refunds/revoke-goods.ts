import { requestGrantRevocation } from '../community/grant-records';
import type { DbExecutor } from '../db/schema';
import { hasEnded } from '../domain/subscription-lifecycle';
import { recordIntent } from '../outbox/record-intent';
import { requestCancellation } from '../subscriptions/cancel-subscription';

/**
 * What a refund takes back besides money. The whole sale (every line, or the invoice going to
 * REFUNDED / REVERSED) or only the named lines' goods: their license keys stop validating and
 * their community access ends.
 */

/** License keys of the sale (or of the given variants) stop validating; already inactive ones are left. */
export async function disableLicenseKeys(trx: DbExecutor, invoiceId: number, variantIds?: number[]): Promise<number> {
  if (variantIds && variantIds.length === 0) return 0;
  let query = trx
    .updateTable('license_keys')
    .set({ active: false, updated_at: new Date() })
    .where('invoice_id', '=', invoiceId)
    .where('active', '=', true);
  if (variantIds) query = query.where('variant_id', 'in', variantIds);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Community access bought by the given variants of the invoice ends (the outbox tells the grants' workflows). */
export async function revokeVariantGrants(trx: DbExecutor, invoiceId: number, variantIds: number[]): Promise<number> {
  if (variantIds.length === 0) return 0;
  const grants = await trx
    .selectFrom('community_grants as g')
    .innerJoin('variant_community_access as a', 'a.id', 'g.access_id')
    .select('g.id')
    .where('g.invoice_id', '=', invoiceId)
    .where('a.variant_id', 'in', variantIds)
    .execute();
  let revoked = 0;
  for (const grant of grants) revoked += await requestGrantRevocation(trx, { invoiceId, grantId: grant.id }, 'refunded');
  return revoked;
}

/**
 * A subscription bought by a sale whose money went back ends now (no further refund: the money
 * is already on its way back); one already ended or being canceled is left to that.
 */
export async function endSubscriptionOfUndoneSale(trx: DbExecutor, invoiceId: number): Promise<boolean> {
  const subscription = await trx
    .selectFrom('subscriptions')
    .select(['id', 'status', 'cancellation_in_progress'])
    .where('invoice_id', '=', invoiceId)
    .forUpdate()
    .executeTakeFirst();
  if (!subscription || hasEnded(subscription.status) || subscription.cancellation_in_progress) return false;
  await requestCancellation(trx, subscription.id, { cancelAtPeriodEnd: false });
  // The subscription workflow carries the cancellation to Stripe; the relay tells it after commit.
  await recordIntent(trx, { kind: 'subscription.changed', subjectId: subscription.id, detail: { reason: 'sale_refunded' } });
  return true;
}
