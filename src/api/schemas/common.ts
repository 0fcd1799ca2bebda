import { z } from 'zod';
import { normaliseInterval } from '../../domain/billing-interval';

/** Query-string booleans as Laravel accepts them: true/false/1/0. */
export const queryBoolean = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((v) => v === 'true' || v === '1');

/** Postgres' integer: ids, counts and orders stored in one are bounded by it, so beyond it is a 422, not a database error. */
export const INT_MAX = 2_147_483_647;
export const INT_MIN = -2_147_483_648;

/** A row id in a path: beyond Postgres' integer range it is a 422, not a database error. */
export const rowId = z.coerce.number().int().positive().max(INT_MAX);

/** A row id in a JSON body, as a number. */
export const rowIdNumber = z.number().int().positive().max(INT_MAX);

/** A row id as an object key (batch updates, invoice lines keyed by variant id), bounded the same way. */
export const rowIdKey = (message = 'a row id') =>
  z
    .string()
    .regex(/^\d{1,10}$/, message)
    .refine((key) => Number(key) > 0 && Number(key) <= INT_MAX, message);

export const billingInterval = z.preprocess(
  (v) => (typeof v === 'string' ? (normaliseInterval(v) ?? v) : v),
  z.enum(['DAY', 'WEEK', 'MONTH', 'YEAR']),
);
