import { percentOf } from './invoice-totals';

/**
 * Coupons at checkout, without I/O. A coupon takes a percentage or a fixed amount off the
 * lines it covers (every line when store-wide), once per invoice; the invoice's other
 * discounts (bulk) come first, the payment method's adjustment after.
 */
export const COUPON_TYPES = ['PERCENTAGE', 'AMOUNT'] as const;
export type CouponType = (typeof COUPON_TYPES)[number];

export interface CouponRule {
  type: CouponType;
  /** PERCENTAGE: basis points (12.5 % = 1250); AMOUNT: cents. */
  discount: number;
  storeWide: boolean;
  productIds: readonly number[];
  limit: number | null;
  /** Paid redemptions plus invoices still holding the coupon while they wait for payment. */
  taken: number;
  minimumAmountCents: number | null;
  maximumDiscountCents: number | null;
  expiresAt: Date | null;
}

export type CouponProblem = 'coupon_expired' | 'coupon_limit_reached' | 'coupon_not_applicable' | 'coupon_minimum_not_met';

export const COUPON_PROBLEM_MESSAGES: Record<CouponProblem, string> = {
  coupon_expired: 'has expired',
  coupon_limit_reached: 'has been used as many times as allowed',
  coupon_not_applicable: 'does not apply to any product of this invoice',
  coupon_minimum_not_met: 'needs a larger order',
};

export type CouponOutcome = { discountCents: number } | { problem: CouponProblem };

/** The discount a coupon gives these lines (after bulk discounts), or why it cannot. */
export function couponDiscount(rule: CouponRule, lines: readonly { productId: number; netCents: number }[], now: Date): CouponOutcome {
  if (rule.expiresAt && rule.expiresAt.getTime() <= now.getTime()) return { problem: 'coupon_expired' };
  if (rule.limit !== null && rule.taken >= rule.limit) return { problem: 'coupon_limit_reached' };
  const covered = lines.filter((l) => rule.storeWide || rule.productIds.includes(l.productId));
  if (covered.length === 0) return { problem: 'coupon_not_applicable' };
  const subtotal = lines.reduce((sum, l) => sum + l.netCents, 0);
  if (rule.minimumAmountCents !== null && subtotal < rule.minimumAmountCents) return { problem: 'coupon_minimum_not_met' };
  const base = covered.reduce((sum, l) => sum + l.netCents, 0);
  let discount = rule.type === 'PERCENTAGE' ? percentOf(base, rule.discount / 100) : rule.discount;
  if (rule.maximumDiscountCents !== null) discount = Math.min(discount, rule.maximumDiscountCents);
  // Never more than the covered lines cost.
  return { discountCents: Math.min(discount, base) };
}
