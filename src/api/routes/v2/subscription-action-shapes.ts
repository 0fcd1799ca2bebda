import { z } from 'zod';
import { rowId } from '../../schemas/common';

/** The path and answer every subscription action shares, the queued actions and the plan and renewal-date confirms alike. */
export const actionParams = z.object({ subscription: rowId });

export const actionResponse = z.object({
  data: z.object({
    id: z.number(),
    product_subscription_id: z.number(),
    subscription_id: z.string().nullable(),
    action: z.enum(['pause', 'resume', 'cancel_at_period_end', 'cancel_immediately', 'change_plan', 'shift_billing_date']),
    status: z.enum(['pending', 'confirmed', 'failed']),
    provider: z.string(),
    customer_message: z.string().nullable(),
    confirmed_at: z.string().nullable(),
    failed_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  }),
});
