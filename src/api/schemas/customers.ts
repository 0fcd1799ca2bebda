import { z } from 'zod';

/** Scalar metadata only, as the spec constrains it: at most 50 keys of 40 characters, strings up to 500. */
export const customerMetadata = z
  .record(z.string().min(1).max(40), z.union([z.string().max(500), z.number(), z.boolean(), z.null()]))
  .refine((m) => Object.keys(m).length <= 50, 'at most 50 keys');

/** A BCP 47 language tag (en, en-GB, zh-Hant-TW). */
const locale = z
  .string()
  .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a BCP 47 language tag')
  .max(35);

export const externalId = z.string().trim().min(1, 'an external id, not only whitespace').max(255);

const fields = {
  email: z.email().max(255),
  name: z.string().max(255).nullable().optional(),
  locale: locale.nullable().optional(),
  metadata: customerMetadata.optional(),
};

export const customerCreateBody = z.object({ ...fields, external_id: externalId.optional() }).openapi('CustomerCreate');
export const customerUpdateBody = z
  .object({ ...fields, email: fields.email.optional(), external_id: externalId.optional() })
  .openapi('CustomerUpdate');
export const customerUpsertBody = z.object(fields).openapi('CustomerUpsert');

export const customerProfileView = z.object({
  id: z.number(),
  email: z.string(),
  external_id: z.string().nullable(),
  name: z.string().nullable(),
  locale: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
});

export const customerView = customerProfileView
  .extend({
    insights: z.object({ orders_count: z.number(), revenue_usd_cents: z.number() }).passthrough(),
    created_at: z.string().nullable(),
    updated_at: z.string().nullable(),
  })
  .openapi('Customer');

export const entitlementView = z
  .object({
    id: z.string(),
    kind: z.enum(['delivered_product', 'license', 'community_grant', 'subscription_access']),
    state: z.string(),
    customer_id: z.number(),
    subject: z.object({ type: z.string(), id: z.union([z.number(), z.string()]), name: z.string() }),
  })
  .openapi('CustomerEntitlement');
