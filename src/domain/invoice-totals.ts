/**
 * Invoice totals in integer cents. Pure: the same inputs always give the same totals, so
 * the API, the workflow and the tests agree to the cent.
 */
export interface BulkDiscountTier {
  minimum_purchase_amount: number;
  discount_percentage: number;
}

export interface LineInput {
  unitPriceCents: number;
  quantity: number;
  bulkDiscount: readonly BulkDiscountTier[];
}

/** A payment method's adjustment: positive = discount to the buyer, negative = fee. */
export interface MethodAdjustment {
  percent: number;
  fixedCents: number;
}

export interface LineTotals {
  grossCents: number;
  bulkDiscountCents: number;
  netCents: number;
  discountPercentage: number;
}

export interface InvoiceTotals {
  lines: LineTotals[];
  /** Sum of the lines after bulk discounts: SellApp's original_amount. */
  subtotalCents: number;
  /** Taken off by the coupon (see domain/coupons), before the payment method's adjustment. */
  couponDiscountCents: number;
  /** Discount (>0) or fee (<0) of the payment method. */
  methodAdjustmentCents: number;
  extraCents: number;
  /** What the buyer pays: subtotal − coupon − method discount (or + fee) + extra. */
  totalCents: number;
  units: number;
}

/** Half-up rounding of a non-negative amount × percent / 100, in integers only. */
export function percentOf(amountCents: number, percent: number): number {
  // Percent may have two decimals (e.g. 2.5 %): scale to avoid floating point.
  const basisPoints = Math.round(percent * 100);
  return Math.floor((amountCents * basisPoints + 5_000) / 10_000);
}

/** The best tier the quantity reaches, or 0 %. */
export function bulkDiscountPercentage(quantity: number, tiers: readonly BulkDiscountTier[]): number {
  return tiers.filter((t) => quantity >= t.minimum_purchase_amount).reduce((best, t) => Math.max(best, t.discount_percentage), 0);
}

export function lineTotals(line: LineInput): LineTotals {
  const grossCents = line.unitPriceCents * line.quantity;
  const discountPercentage = bulkDiscountPercentage(line.quantity, line.bulkDiscount);
  const bulkDiscountCents = percentOf(grossCents, discountPercentage);
  return { grossCents, bulkDiscountCents, netCents: grossCents - bulkDiscountCents, discountPercentage };
}

export function invoiceTotals(input: {
  lines: readonly LineInput[];
  method?: MethodAdjustment;
  extraCents?: number;
  couponDiscountCents?: number;
}): InvoiceTotals {
  const lines = input.lines.map(lineTotals);
  const subtotalCents = lines.reduce((sum, l) => sum + l.netCents, 0);
  const couponDiscountCents = Math.min(input.couponDiscountCents ?? 0, subtotalCents);
  const discounted = subtotalCents - couponDiscountCents;
  const method = input.method ?? { percent: 0, fixedCents: 0 };
  const sign = method.percent < 0 || method.fixedCents < 0 ? -1 : 1;
  const raw = sign * (percentOf(discounted, Math.abs(method.percent)) + Math.abs(method.fixedCents));
  // A discount never takes the total below zero.
  const methodAdjustmentCents = Math.min(raw, discounted);
  const extraCents = input.extraCents ?? 0;
  return {
    lines,
    subtotalCents,
    couponDiscountCents,
    methodAdjustmentCents,
    extraCents,
    totalCents: discounted - methodAdjustmentCents + extraCents,
    units: input.lines.reduce((sum, l) => sum + l.quantity, 0),
  };
}

export type QuantityProblem = 'below_minimum' | 'above_maximum' | 'not_an_increment';

/**
 * Allowed quantities start at the minimum and go up in steps of `increments` (SellApp:
 * increments 2 from 1 allows 1, 3, 5 …), up to the maximum when there is one.
 */
export function quantityProblem(
  quantity: number,
  rules: { minimum: number; maximum: number | null; increments: number },
): QuantityProblem | null {
  if (quantity < rules.minimum) return 'below_minimum';
  if (rules.maximum !== null && quantity > rules.maximum) return 'above_maximum';
  if ((quantity - rules.minimum) % Math.max(1, rules.increments) !== 0) return 'not_an_increment';
  return null;
}
