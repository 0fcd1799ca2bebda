import { z } from 'zod';
import { DELIVERABLE_TYPES } from '../../catalog/deliverable-rules';
import type { ProductInput } from '../../catalog/products';
import type { VariantInput } from '../../catalog/variants';
import { PAYMENT_METHODS } from '../../domain/payment-methods';
import { PARSING_MODES } from '../../domain/serials';
import { billingInterval, INT_MAX } from './common';

type VariantDeliverable = NonNullable<VariantInput['deliverable']>;

export const VISIBILITIES = ['PUBLIC', 'ON_HOLD', 'HIDDEN', 'PRIVATE'] as const;

const url = z.string().url().max(2048);
/** A page a browser is sent to or shown: http(s) only, never `javascript:` or `data:`. */
const webUrl = url.refine((value) => /^https?:\/\//i.test(value), 'must be an http(s) URL');

export const additionalInformationItem = z
  .object({
    type: z.string(),
    required: z.boolean(),
    label: z.string(),
    key: z.string().optional(),
    options: z.array(z.unknown()).optional(),
    placeholder: z.string().min(2).max(255).optional(),
    description: z.string().min(2).max(255).optional(),
    variant: z.string().optional(),
    date_options: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();

const productOtherSettings = z.object({
  redirect_url: webUrl.nullable().optional(),
  video_url: webUrl.nullable().optional(),
  product_title: z.string().max(255).nullable().optional(),
  product_description: z.string().max(1000).nullable().optional(),
  faq: z.array(z.object({ question: z.string().min(1), answer: z.string().min(1) })).optional(),
  call_to_action: z.string().max(100).nullable().optional(),
  hide_image: z.boolean().optional(),
  badge: z.object({ text: z.string(), color: z.string(), text_color: z.string() }).partial().nullable().optional(),
});

export const productCreateBody = z
  .object({
    title: z.string().min(1).max(255),
    description: z.string().max(100_000),
    visibility: z.enum(VISIBILITIES),
    slug: z.string().min(1).max(100).optional(),
    type: z.enum(['product', 'bundle']).optional(),
    section: z.number().int().positive().max(INT_MAX).nullable().optional(),
    additional_information: z.array(additionalInformationItem).max(50).optional(),
    other_settings: productOtherSettings.optional(),
    delivery_text: z.string().max(5000).nullable().optional(),
  })
  .openapi('ProductCreate');

/** PATCH, and the spec's PUT (its ReplaceProduct request has every field optional too). */
export const productUpdateBody = productCreateBody
  .omit({ type: true })
  .partial()
  .extend({ expected_updated_at: z.string().max(64).optional() })
  .openapi('ProductUpdate');

export function productInputFromV2(body: z.infer<typeof productUpdateBody> & { type?: 'product' | 'bundle' }): ProductInput {
  return {
    title: body.title,
    description: body.description,
    visibility: body.visibility,
    slug: body.slug,
    type: body.type,
    sectionId: body.section,
    additionalInformation: body.additional_information,
    otherSettings: body.other_settings,
    deliveryText: body.delivery_text,
    expectedUpdatedAt: body.expected_updated_at,
  };
}

const licenseKeyConfig = z.object({
  prefix: z.string().max(20).nullable().optional(),
  limit: z.number().int().min(1).max(INT_MAX).nullable().optional(),
  expires_in_days: z.number().int().min(1).max(36_500).nullable().optional(),
});

const deliverable = z.object({
  types: z.array(z.enum(DELIVERABLE_TYPES)).min(1),
  data: z.object({
    stock: z.number().int().min(0).max(INT_MAX).nullable().optional(),
    serials: z.union([z.array(z.string().max(10_000)).max(100_000), z.string().max(5_000_000)]).optional(),
    removeDuplicate: z.boolean().optional(),
    parsingMode: z.enum(PARSING_MODES).optional(),
    delimiter: z.string().min(1).max(20).nullable().optional(),
    comment: z.string().max(20_000).nullable().optional(),
    webhook: z.string().max(2048).nullable().optional(),
    file: z.string().optional(),
    files: z.array(z.string()).max(20).optional(),
    license_key: licenseKeyConfig.nullable().optional(),
  }),
});

export const bulkDiscountTier = z.object({
  minimum_purchase_amount: z.number().int().min(1).max(INT_MAX),
  discount_percentage: z.number().int().min(0).max(100),
});

const pricing = z.object({
  humble: z.boolean(),
  price: z.object({
    price: z.number().int().min(0).max(100_000_000),
    currency: z.string().regex(/^[A-Za-z]{3}$/, 'a 3-letter ISO currency code'),
  }),
  type: z.enum(['SINGLE_PAYMENT', 'SUBSCRIPTION']).optional(),
  frequency: z.object({ value: z.number().int().min(1).max(INT_MAX), interval: billingInterval }).optional(),
});

/** The store's custom payment methods a variant offers (SellApp's ids are 26 characters). */
const customPaymentMethodIds = z.array(z.string().length(26)).max(50);

export const variantCreateBody = z
  .object({
    title: z.string().min(1).max(255),
    description: z.string().max(100_000),
    deliverable,
    pricing,
    payment_methods: z.array(z.enum(PAYMENT_METHODS)).min(1),
    custom_payment_method_ids: customPaymentMethodIds.optional(),
    minimum_purchase_quantity: z.number().int().min(1).max(INT_MAX).optional(),
    maximum_purchase_quantity: z.number().int().min(1).max(INT_MAX).nullable().optional(),
    bulk_discount: z.array(bulkDiscountTier).max(20).optional(),
    other_settings: z
      .object({ quantity_increments: z.number().int().min(1).max(INT_MAX).optional(), discord_data_required: z.boolean().optional() })
      .optional(),
  })
  .openapi('VariantCreate');

/** PATCH, and the spec's PUT (its ReplaceProductVariantWithPut request has every field optional too). */
export const variantUpdateBody = variantCreateBody
  .partial()
  .extend({ expected_updated_at: z.string().max(64).optional() })
  .openapi('VariantUpdate');

/** The deliverable part of a v2 variant or a v1 listing, in the catalog's terms. */
export function deliverableInput(d: {
  types: VariantDeliverable['types'];
  data: Omit<z.infer<typeof deliverable>['data'], 'license_key'> & { license_key?: z.infer<typeof licenseKeyConfig> | null };
}): VariantDeliverable {
  const files = d.data.files ?? (d.data.file ? [d.data.file] : undefined);
  return {
    types: d.types,
    parsingMode: d.data.parsingMode,
    delimiter: d.data.delimiter,
    removeDuplicate: d.data.removeDuplicate,
    serials: d.data.serials,
    comment: d.data.comment,
    webhook: d.data.webhook,
    stock: d.data.stock,
    files,
    licenseKey:
      d.data.license_key === undefined
        ? undefined
        : d.data.license_key && {
            prefix: d.data.license_key.prefix,
            limit: d.data.license_key.limit,
            expiresInDays: d.data.license_key.expires_in_days,
          },
  };
}

export function variantInputFromV2(body: z.infer<typeof variantUpdateBody>): VariantInput {
  return {
    title: body.title,
    description: body.description,
    priceCents: body.pricing?.price.price,
    currency: body.pricing?.price.currency,
    humble: body.pricing?.humble,
    pricingType: body.pricing?.type,
    frequency: body.pricing?.frequency,
    minimumPurchaseQuantity: body.minimum_purchase_quantity,
    maximumPurchaseQuantity: body.maximum_purchase_quantity,
    bulkDiscount: body.bulk_discount,
    paymentMethods: body.payment_methods,
    customPaymentMethodIds: body.custom_payment_method_ids,
    quantityIncrements: body.other_settings?.quantity_increments,
    discordDataRequired: body.other_settings?.discord_data_required,
    deliverable: body.deliverable ? deliverableInput(body.deliverable) : undefined,
    expectedUpdatedAt: body.expected_updated_at,
  };
}

/** Not stored by Sellflow yet: a client may send it empty (null / []), not with a value. */
const notSupported = (what: string) =>
  z.unknown().refine((v) => v === undefined || v === null || (Array.isArray(v) && v.length === 0), `${what} is not supported yet`);

const pricingFields = {
  type: z.enum(['SINGLE_PAYMENT', 'SUBSCRIPTION']),
  price: pricing.shape.price,
  compare_at_price: notSupported('compare_at_price').optional(),
  humble: z.boolean(),
  frequency: z.object({ value: z.number().int().min(1).max(INT_MAX), interval: billingInterval }).optional(),
};
const pricingExtras = {
  custom_payment_method_ids: customPaymentMethodIds.optional(),
  bulk_discount: z.array(bulkDiscountTier).max(20).optional(),
  expected_updated_at: z.string().max(64).optional(),
};

/** PUT …/pricing (ReplaceProductVariantPricing): the whole pricing; what is left out is reset. */
export const pricingReplaceBody = z
  .object({ pricing: z.object(pricingFields), payment_methods: z.array(z.enum(PAYMENT_METHODS)), ...pricingExtras })
  .openapi('VariantPricingReplace');
/** PATCH …/pricing (UpdateProductVariantPricing): what is left out keeps its value. */
export const pricingUpdateBody = z
  .object({
    pricing: z.object(pricingFields).partial().optional(),
    payment_methods: z.array(z.enum(PAYMENT_METHODS)).optional(),
    ...pricingExtras,
  })
  .openapi('VariantPricingUpdate');

export function pricingInput(
  body: z.infer<typeof pricingUpdateBody>,
  semantics: 'replace' | 'update',
): Pick<
  VariantInput,
  | 'priceCents'
  | 'currency'
  | 'humble'
  | 'pricingType'
  | 'frequency'
  | 'paymentMethods'
  | 'customPaymentMethodIds'
  | 'bulkDiscount'
  | 'expectedUpdatedAt'
> {
  const replace = semantics === 'replace';
  return {
    priceCents: body.pricing?.price?.price,
    currency: body.pricing?.price?.currency,
    humble: body.pricing?.humble,
    pricingType: body.pricing?.type,
    // A replacement without a frequency (or a one-time price) has none; an update keeps the stored one.
    frequency: replace ? (body.pricing?.type === 'SUBSCRIPTION' ? (body.pricing.frequency ?? null) : null) : body.pricing?.frequency,
    paymentMethods: body.payment_methods,
    customPaymentMethodIds: replace ? (body.custom_payment_method_ids ?? []) : body.custom_payment_method_ids,
    bulkDiscount: replace ? (body.bulk_discount ?? []) : body.bulk_discount,
    expectedUpdatedAt: body.expected_updated_at,
  };
}
