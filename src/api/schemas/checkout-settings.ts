import { z } from 'zod';

/** A site allowed to embed fast checkout: scheme, host and port only (https://shop.example.com), or `*` for any. */
const origin = z
  .string()
  .max(200)
  .transform((value, ctx) => {
    if (value === '*') return value;
    try {
      const url = new URL(value);
      const bare = (url.pathname === '/' || url.pathname === '') && !url.search && !url.hash && !url.username && !url.password;
      if ((url.protocol === 'https:' || url.protocol === 'http:') && bare) return url.origin;
    } catch {
      // Not a URL: refused below.
    }
    ctx.addIssue({ code: 'custom', message: 'an origin such as https://shop.example.com (no path), or *' });
    return z.NEVER;
  });

/** Empty (null, or '' as the seed's form sends it) turns a limit off. */
const optionalLimit = (max: number) =>
  z
    .union([z.number().int().min(1).max(max), z.literal('').transform(() => null)])
    .nullable()
    .optional();

export const checkoutSettingsBody = z
  .object({
    embed_allowed_origins: z.array(origin).max(50).optional(),
    blacklist_on_dispute: z.boolean().optional(),
    disable_checkout_email: z.boolean().optional(),
    checkout_rate_limits: z
      .object({
        ip_email_per_hour: optionalLimit(100_000),
        ip_per_hour: optionalLimit(100_000),
        email_per_hour: optionalLimit(100_000),
        fingerprint_per_hour: optionalLimit(100_000),
        window_seconds: optionalLimit(30 * 86_400),
      })
      .strict()
      .optional(),
  })
  .strict()
  .openapi('CheckoutSettingsChange');

export const checkoutSettingsView = z
  .object({
    embed_allowed_origins: z.array(z.string()),
    blacklist_on_dispute: z.boolean(),
    /** On: checkout does not ask for the buyer's e-mail; an order without one gets no delivery e-mail. */
    disable_checkout_email: z.boolean(),
    checkout_rate_limits: z.object({
      ip_email_per_hour: z.number().nullable(),
      ip_per_hour: z.number().nullable(),
      email_per_hour: z.number().nullable(),
      fingerprint_per_hour: z.number().nullable(),
      window_seconds: z.number().nullable(),
    }),
  })
  .openapi('CheckoutSettings');
