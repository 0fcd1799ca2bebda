import { z } from 'zod';
import { normaliseInterval } from '../../domain/billing-interval';

/** Query-string booleans as Laravel accepts them: true/false/1/0. */
export const queryBoolean = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((v) => v === 'true' || v === '1');

/** A row id in a path: beyond Postgres' integer range it is a 422, not a database error. */
export const rowId = z.coerce.number().int().positive().max(2_147_483_647);

export const billingInterval = z.preprocess(
  (v) => (typeof v === 'string' ? (normaliseInterval(v) ?? v) : v),
  z.enum(['DAY', 'WEEK', 'MONTH', 'YEAR']),
);
