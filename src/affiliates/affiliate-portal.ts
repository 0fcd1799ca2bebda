import type { Db } from '../db/schema';
import { referralCount } from './store-payouts';

/** What the affiliate portal reads: the affiliate's own referrals and payouts (one mode), their coupon, and what they may promote. */

/** An affiliate's referrals in the store, one mode; nothing selected yet. */
export function portalReferrals(db: Db, storeId: number, livemode: boolean, affiliateId: number) {
  return db
    .selectFrom('affiliate_referrals')
    .where('affiliate_id', '=', affiliateId)
    .where('store_id', '=', storeId)
    .where('livemode', '=', livemode);
}

/** An affiliate's payouts of one mode with their cycle date; nothing selected yet. */
export function portalPayouts(db: Db, livemode: boolean, affiliateId: number) {
  return db
    .selectFrom('affiliate_payouts as p')
    .leftJoin('affiliate_payout_cycles as c', 'c.id', 'p.cycle_id')
    .where('p.affiliate_id', '=', affiliateId)
    .where('p.livemode', '=', livemode);
}

export const PORTAL_PAYOUT_COLUMNS = [
  'p.id',
  'p.status',
  'p.amount_cents',
  'p.currency',
  'p.payout_method',
  'p.created_at',
  'p.paid_at',
  'c.cycle_date',
] as const;

/** The five newest referrals and payouts, and the referral count, for the portal's overview. */
export async function portalRecent(db: Db, storeId: number, livemode: boolean, affiliateId: number) {
  const { n } = await portalReferrals(db, storeId, livemode, affiliateId)
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  const referrals = await portalReferrals(db, storeId, livemode, affiliateId).selectAll().orderBy('id', 'desc').limit(5).execute();
  const payouts = await portalPayouts(db, livemode, affiliateId)
    .select(PORTAL_PAYOUT_COLUMNS)
    .select(referralCount)
    .orderBy('p.id', 'desc')
    .limit(5)
    .execute();
  return { referralCount: Number(n), referrals, payouts };
}

/** The public, live variants of the store's public products, in catalog order: what an affiliate could promote. */
export function publicVariants(db: Db, storeId: number) {
  return db
    .selectFrom('product_variants as v')
    .innerJoin('products as p', 'p.id', 'v.product_id')
    .select([
      'p.id as product_id',
      'p.title as product_title',
      'p.slug',
      'v.id as variant_id',
      'v.title as variant_title',
      'v.price_cents',
      'v.currency',
    ])
    .where('p.store_id', '=', storeId)
    .where('p.visibility', '=', 'PUBLIC')
    .where('p.deleted_at', 'is', null)
    .where('v.deleted_at', 'is', null)
    .orderBy('p.id')
    .orderBy('v.id')
    .execute();
}
