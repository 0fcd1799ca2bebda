import { type Selectable, sql } from 'kysely';
import type { DbExecutor } from '../db/schema';
import type { CouponsTable } from '../db/schema/checkout-rules';
import { COUPON_PROBLEM_MESSAGES, couponDiscount } from '../domain/coupons';
import { AWAITING_PAYMENT_STATUSES } from '../domain/invoice-status';
import { InvoiceRuleError } from '../orders/errors';

/**
 * The coupon a new invoice asked for, checked and priced. The coupon row stays locked until
 * the invoice is committed, so concurrent checkouts cannot take more than its limit: paid
 * redemptions plus invoices still waiting for payment count; voided ones give theirs back.
 */
export async function applicableCoupon(trx: DbExecutor, storeId: number, code: string, lines: { productId: number; netCents: number }[]) {
  const coupon = await trx
    .selectFrom('coupons')
    .selectAll()
    .where('store_id', '=', storeId)
    .where(sql`lower(code)`, '=', code.trim().toLowerCase())
    .where('deleted_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
  if (!coupon) throw new InvoiceRuleError('coupon_not_found', `No coupon "${code}" in this store`, 'coupon');
  const outcome = await priceCoupon(trx, coupon, lines);
  if ('problem' in outcome)
    throw new InvoiceRuleError(outcome.problem, `Coupon "${coupon.code}" ${COUPON_PROBLEM_MESSAGES[outcome.problem]}`, 'coupon');
  return { id: coupon.id, code: coupon.code, discountCents: outcome.discountCents, affiliateId: coupon.affiliate_id };
}

/**
 * A coupon's discount on these lines now, or why it cannot apply. Invoices that hold the coupon
 * while they may still be paid count against its limit; voided ones give theirs back.
 */
export async function priceCoupon(db: DbExecutor, coupon: Selectable<CouponsTable>, lines: { productId: number; netCents: number }[]) {
  const holding = await db
    .selectFrom('invoices')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('coupon_id', '=', coupon.id)
    .where('status', 'in', AWAITING_PAYMENT_STATUSES)
    .executeTakeFirstOrThrow();
  return couponDiscount(
    {
      type: coupon.type,
      discount: coupon.discount,
      storeWide: coupon.store_wide,
      productIds: coupon.products,
      limit: coupon.limit,
      taken: coupon.uses + Number(holding.count),
      minimumAmountCents: coupon.minimum_amount_cents,
      maximumDiscountCents: coupon.maximum_discount_cents,
      expiresAt: coupon.expires_at,
    },
    lines,
    new Date(),
  );
}
