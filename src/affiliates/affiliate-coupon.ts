import type { CouponInput } from '../coupons/coupons';
import { createCoupon, deleteCoupon, updateCoupon } from '../coupons/coupons';
import type { Db, DbExecutor } from '../db/schema';
import { loadAffiliate } from './affiliates';

/** An affiliate's coupon: using it credits the order to them (a double-sided incentive). */

type NewCoupon = CouponInput & Required<Pick<CouponInput, 'code' | 'type' | 'discount' | 'store_wide'>>;

function currentCoupon(db: DbExecutor, affiliateId: number) {
  return db.selectFrom('coupons').select('id').where('affiliate_id', '=', affiliateId).where('deleted_at', 'is', null).executeTakeFirst();
}

/** Creates or changes the affiliate's coupon. */
export function setAffiliateCoupon(db: Db, storeId: number, affiliateId: number, input: NewCoupon) {
  return db.transaction().execute(async (trx) => {
    await loadAffiliate(trx, storeId, affiliateId, { lock: true });
    const current = await currentCoupon(trx, affiliateId);
    const row = current ? await updateCoupon(trx, storeId, current.id, input) : await createCoupon(trx, storeId, input);
    return trx.updateTable('coupons').set({ affiliate_id: affiliateId }).where('id', '=', row.id).returningAll().executeTakeFirstOrThrow();
  });
}

/** Removes the affiliate's coupon; null when they had none. */
export function removeAffiliateCoupon(db: Db, storeId: number, affiliateId: number) {
  return db.transaction().execute(async (trx) => {
    await loadAffiliate(trx, storeId, affiliateId, { lock: true });
    const current = await currentCoupon(trx, affiliateId);
    return current ? deleteCoupon(trx, storeId, current.id) : null;
  });
}

/** The affiliate's coupon as the portal shows it. */
export function affiliateCoupon(db: Db, affiliateId: number) {
  return db
    .selectFrom('coupons')
    .select(['code', 'type', 'discount', 'store_wide', 'products', 'expires_at'])
    .where('affiliate_id', '=', affiliateId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}
