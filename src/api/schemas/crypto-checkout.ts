import { z } from 'zod';

/**
 * A crypto wallet's checkout settings (SellApp's Underpaid Percentage and Minimum
 * Confirmations): read when an invoice is checked out, so a change never moves a quote given.
 * null goes back to the server's default (CRYPTO_UNDERPAID_PERCENTAGE, CRYPTO_CONFIRMATIONS).
 */
export const cryptoCheckoutFields = {
  /** Shortfall still accepted as paid: 0–50 %, two decimals at most. */
  underpaid_percentage: z
    .number()
    .min(0)
    .max(50)
    .refine((v) => Math.round(v * 100) === v * 100, 'two decimals at most')
    .nullable()
    .optional(),
  /** Confirmations before the order moves on (at least one: a mempool transaction can be replaced). */
  minimum_confirmations: z.number().int().min(1).max(10_000).nullable().optional(),
};
