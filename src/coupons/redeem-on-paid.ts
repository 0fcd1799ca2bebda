import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';

/** A paid invoice redeems its coupon exactly once (the redemption row is unique per invoice). */
export async function redeemCoupon(
  trx: DbExecutor,
  invoice: { id: number; coupon_id: number | null; coupon_discount_cents: number },
): Promise<void> {
  if (!invoice.coupon_id) return;
  const redeemed = await trx
    .insertInto('coupon_redemptions')
    .values({ coupon_id: invoice.coupon_id, invoice_id: invoice.id, discount_cents: invoice.coupon_discount_cents })
    .onConflict((oc) => oc.column('invoice_id').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (redeemed)
    await trx
      .updateTable('coupons')
      .set({ uses: sql`uses + 1` })
      .where('id', '=', invoice.coupon_id)
      .execute();
}
