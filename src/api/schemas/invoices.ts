import { z } from 'zod';
import { CUSTOM_PAYMENT_METHOD } from '../../domain/custom-payment-method';
import { INVOICE_STATUSES } from '../../domain/invoice-status';
import { PAYMENT_METHODS } from '../../domain/payment-methods';
import { pageQuery } from '../pagination';
import { rowIdKey, rowIdNumber } from './common';
import { externalId } from './customers';

export const invoiceCreateBody = z
  .object({
    /** Required unless the store disabled the checkout e-mail (placeInvoice answers the 422). */
    customer_email: z.string().email().max(255).nullish(),
    payment_method: z.enum([...PAYMENT_METHODS, CUSTOM_PAYMENT_METHOD]),
    /** With payment_method CUSTOM_PAYMENT_METHOD: which of the store's custom methods (26 characters). */
    custom_payment_method_id: z.string().length(26).nullable().optional(),
    product_variants: z.record(
      rowIdKey('keys are product variant ids'),
      z.object({
        quantity: z.number().int().min(1).max(100_000),
        additional_information: z.record(z.string(), z.unknown()).optional(),
        fill_once: z.boolean().optional(),
      }),
    ),
    customer_ip: z.string().max(64).nullable().optional(),
    coupon: z.string().max(100).optional(),
    vat_id: z.string().max(50).optional(),
    country: z.string().max(100).optional(),
    affiliate: z.string().max(100).nullable().optional(),
    /** Not in the seed: the storefront's visitor id, matching the referral clicks it reported. */
    visitor_id: z.string().min(1).max(100).nullable().optional(),
    /** Not in the seed: the buyer's checkout session fingerprint, for the store's fingerprint attempt limit. */
    checkout_fingerprint: z.string().min(1).max(200).nullable().optional(),
    extra: z.object({ amount: z.number().int().min(0).max(100_000_000), currency: z.string().regex(/^[A-Za-z]{3}$/) }).optional(),
    /**
     * Not in the spec (its create model has only customer_email): the seller's existing customer,
     * by record id or external id, named as the spec's customer sessions name them.
     */
    customer_id: rowIdNumber.optional(),
    external_customer_id: externalId.optional(),
  })
  .refine((b) => b.customer_id === undefined || b.external_customer_id === undefined, {
    message: 'Give customer_id or external_customer_id, not both',
    path: ['external_customer_id'],
  })
  .openapi('InvoiceCreate');

const oneOrMany = <T extends z.ZodTypeAny>(item: T) =>
  z.union([item, z.array(item)]).transform((v) => (Array.isArray(v) ? v : [v]) as z.infer<T>[]);

const filterFields = {
  search: z.string().max(200).optional(),
  search_by: z
    .enum([
      'default',
      'transaction_id',
      'serial_code',
      'additional_info',
      'product_name',
      'discord_data',
      'crypto_txid',
      'crypto_address',
      'coupon_code',
    ])
    .default('default'),
  id: z.coerce.string().max(20).optional(),
  email: z.string().max(255).optional(),
  transaction_id: z.string().max(200).optional(),
  serial_code: z.string().max(500).optional(),
  additional_info: z.string().max(500).optional(),
  product_name: z.string().max(255).optional(),
  discord_data: z.string().max(200).optional(),
  crypto_txid: z.string().max(200).optional(),
  crypto_address: z.string().max(200).optional(),
  coupon_code: z.string().max(100).optional(),
  status: oneOrMany(z.enum(INVOICE_STATUSES)).optional(),
  payment_methods: oneOrMany(z.enum(PAYMENT_METHODS)).optional(),
  sort: z.enum(['created_at', '-created_at']).default('-created_at'),
  needs_attention: z.enum(['true', 'false', '1', '0']).optional(),
};

export const invoiceListQuery = pageQuery.extend(filterFields);
export const invoiceSearchBody = z.object(filterFields).openapi('InvoiceSearch');

export const stepSelection = z
  .object({ step: z.enum(['serials', 'license_keys', 'dynamic', 'downloads', 'manual']).optional() })
  .openapi('DeliveryStepSelection');

/** POST …/fulfillment-retries: the official body (a replacement delivery e-mail) and Sellflow's step kinds. */
export const fulfillmentRetryBody = z
  .object({
    email: z.email().max(254).nullable().optional(),
    steps: z
      .array(z.enum(['serials', 'license_keys', 'dynamic', 'downloads', 'manual']))
      .min(1)
      .optional(),
  })
  .openapi('FulfillmentRetry');

/** POST …/dynamic-delivery-retries: the delivered product is the dynamic delivery step (its id in `delivery.steps`). */
export const dynamicDeliveryRetryBody = z.object({ delivered_product_id: rowIdNumber }).openapi('DynamicDeliveryRetry');

/** POST …/fulfillment-notifications. */
export const fulfillmentNotificationsBody = z
  .object({
    email: z.email().max(254).nullable().optional(),
    product_variant_ids: z
      .array(rowIdNumber)
      .min(1)
      .refine((ids) => new Set(ids).size === ids.length, 'name each product variant once')
      .nullable()
      .optional(),
  })
  .openapi('FulfillmentNotifications');

/** PATCH …/status. */
export const statusChangeBody = z
  .object({
    status: z.enum(['COMPLETED', 'VOIDED', 'REVIEW', 'DISPUTING']),
    expected_status: z.enum(INVOICE_STATUSES).nullable().optional(),
  })
  .openapi('InvoiceStatusChange');

/** The variants to re-deliver: an id, a list of ids, or (as the official SDKs send it) a map keyed by variant id. */
export const replacementBody = z.object({
  product_variants: z.union([
    rowIdNumber.transform((id) => [id]),
    z.array(rowIdNumber).min(1),
    z
      .record(rowIdKey('a product variant id'), z.unknown())
      .refine((map) => Object.keys(map).length > 0, 'name at least one product variant')
      .transform((map) => Object.keys(map).map(Number)),
  ]),
});
