import { z } from 'zod';
import { COUPON_TYPES } from '../../domain/coupons';
import { rowId } from './common';

const money = z.number().min(0).max(1_000_000);

/** A coupon as SellApp's API takes it (discount: percent, or major units for AMOUNT). */
export const couponCreate = z
  .object({
    code: z.string().min(1).max(64),
    type: z.enum(COUPON_TYPES),
    discount: z.number().positive().max(1_000_000),
    store_wide: z.boolean(),
    products: z.array(rowId).min(1).max(1000).optional(),
    limit: z.number().int().min(1).max(2_147_483_647).nullable().optional(),
    expires_at: z.string().datetime({ offset: true }).nullable().optional(),
    minimum_amount: money.nullable().optional(),
    /** Not in the seed's API (the help centre has it): caps a percentage discount, in major units. */
    maximum_discount: money.nullable().optional(),
  })
  .strict();

export const couponUpdate = couponCreate.partial().strict();
