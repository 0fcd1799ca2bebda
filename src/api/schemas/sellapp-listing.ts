import { z } from 'zod';
import type { ProductInput } from '../../catalog/products';
import type { VariantInput } from '../../catalog/variants';
import { PAYMENT_METHODS } from '../../domain/payment-methods';
import { PARSING_MODES } from '../../domain/serials';
import { billingInterval, INT_MAX, INT_MIN } from './common';
import { bulkDiscountTier, deliverableInput, VISIBILITIES } from './sellapp-catalog';

/** SellApp v1 listings: a product and its one variant, flattened. */
const listingDeliverable = z.object({
  types: z.array(z.enum(['DOWNLOADABLE', 'TEXT', 'DYNAMIC', 'MANUAL', 'LICENSE_KEY'])).min(1),
  data: z
    .object({
      serials: z.union([z.array(z.string().max(10_000)).max(100_000), z.string().max(5_000_000)]).optional(),
      removeDuplicate: z.boolean().optional(),
      parsingMode: z.enum(PARSING_MODES).optional(),
      delimiter: z.string().min(1).max(20).nullable().optional(),
      comment: z.string().max(20_000).nullable().optional(),
      file: z.string().nullable().optional(),
      files: z.array(z.string()).max(20).optional(),
      webhook: z.string().max(2048).nullable().optional(),
      stock: z.number().int().min(0).max(INT_MAX).nullable().optional(),
    })
    .default({}),
  delivery_text: z.string().max(5000).nullable().optional(),
});

export const listingCreateBody = z
  .object({
    title: z.string().min(1).max(255),
    description: z.string().max(100_000),
    visibility: z.enum(VISIBILITIES),
    deliverable: listingDeliverable,
    minimum_purchase_quantity: z.number().int().min(1).max(INT_MAX),
    price: z.object({
      price: z.number().int().min(0).max(100_000_000),
      currency: z.string().regex(/^[A-Za-z]{3}$/, 'a 3-letter ISO currency code'),
    }),
    payment_methods: z.array(z.enum(PAYMENT_METHODS)).min(1),
    images: z.unknown().optional(),
    order: z.number().int().min(INT_MIN).max(INT_MAX).optional(),
    additional_information: z
      .array(z.object({ type: z.string(), required: z.boolean(), label: z.string(), key: z.string().optional() }).passthrough())
      .max(50)
      .optional(),
    warranty: z
      .object({
        preferredUnit: z.enum(['MINUTES', 'HOURS', 'DAYS']).optional(),
        text: z.string().max(5000).nullable().optional(),
        time: z.number().int().min(0).max(INT_MAX).nullable().optional(),
      })
      .nullable()
      .optional(),
    other_settings: z.record(z.string(), z.unknown()).optional(),
    image: z.unknown().optional(),
    bulk_discount: z.array(bulkDiscountTier).max(20).nullable().optional(),
    maximum_purchase_quantity: z.number().int().min(1).max(INT_MAX).nullable().optional(),
    pricing_type: z.enum(['SINGLE_PAYMENT', 'SUBSCRIPTION']).optional(),
    charge_frequency: z.object({ value: z.number().int().min(1).max(INT_MAX), interval: billingInterval }).optional(),
    humble: z.boolean().optional(),
  })
  .openapi('ListingCreate');

export const listingUpdateBody = listingCreateBody.partial().openapi('ListingUpdate');
type ListingBody = z.infer<typeof listingUpdateBody>;

const VARIANT_SETTINGS = ['quantity_increments', 'discord_data_required'];

export function productInputFromListing(body: ListingBody): ProductInput {
  const otherSettings = body.other_settings
    ? Object.fromEntries(Object.entries(body.other_settings).filter(([k]) => !VARIANT_SETTINGS.includes(k)))
    : undefined;
  return {
    title: body.title,
    description: body.description,
    visibility: body.visibility,
    order: body.order,
    additionalInformation: body.additional_information,
    warranty: body.warranty,
    otherSettings,
    deliveryText: body.deliverable?.delivery_text,
    images: Array.isArray(body.images) ? body.images : undefined,
  };
}

export function variantInputFromListing(body: ListingBody): VariantInput {
  const d = body.deliverable;
  const settings = body.other_settings ?? {};
  return {
    priceCents: body.price?.price,
    currency: body.price?.currency,
    humble: body.humble,
    pricingType: body.pricing_type,
    frequency: body.charge_frequency,
    minimumPurchaseQuantity: body.minimum_purchase_quantity,
    maximumPurchaseQuantity: body.maximum_purchase_quantity,
    bulkDiscount: body.bulk_discount ?? undefined,
    paymentMethods: body.payment_methods,
    quantityIncrements: typeof settings.quantity_increments === 'number' ? settings.quantity_increments : undefined,
    discordDataRequired: typeof settings.discord_data_required === 'boolean' ? settings.discord_data_required : undefined,
    deliverable: d ? deliverableInput({ types: d.types, data: { ...d.data, file: d.data.file ?? undefined } }) : undefined,
  };
}

export function hasVariantFields(body: ListingBody): boolean {
  const v = variantInputFromListing(body);
  return Object.values(v).some((value) => value !== undefined);
}
