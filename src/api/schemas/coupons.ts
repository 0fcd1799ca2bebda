import { z } from 'zod';
import { COUPON_TYPES } from '../../domain/coupons';
import { rowId } from './common';

/** The official SDKs send amounts as a number or a numeric string ("12.50"). */
const numeric = (schema: z.ZodNumber) =>
  z.union([
    schema,
    z
      .string()
      .regex(/^\d+(\.\d+)?$/, 'a number')
      .transform(Number)
      .pipe(schema),
  ]);
const money = numeric(z.number().min(0).max(1_000_000));

/** A coupon as SellApp's API takes it (discount: percent, or major units for AMOUNT). */
export const couponCreate = z
  .object({
    code: z.string().min(1).max(64),
    type: z.enum(COUPON_TYPES),
    discount: numeric(z.number().positive().max(1_000_000)),
    store_wide: z.boolean(),
    products: z.array(rowId).min(1).max(1000).optional(),
    /** The SDKs may send it; Sellflow's coupons apply to whole products, so only an empty list is taken. */
    product_variants: z.array(rowId).max(0, 'Coupons apply to whole products: name them in products').optional(),
    limit: z.number().int().min(1).max(2_147_483_647).nullable().optional(),
    expires_at: z.string().datetime({ offset: true }).nullable().optional(),
    minimum_amount: money.nullable().optional(),
    /** Not in the seed's API (the help centre has it): caps a percentage discount, in major units. */
    maximum_discount: money.nullable().optional(),
  })
  .strict();

export const couponUpdate = couponCreate.partial().strict();
