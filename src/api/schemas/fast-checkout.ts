import { z } from 'zod';
import { countryCode } from '../../domain/countries';
import { CUSTOM_PAYMENT_METHOD } from '../../domain/custom-payment-method';
import { PAYMENT_METHODS } from '../../domain/payment-methods';
import { queryBoolean, rowId } from './common';

/**
 * A pay-what-you-want amount as the buyer types it, in major units of the variant's currency
 * (2.50): kept as text, read into that currency's minor units once the variant is known.
 */
const extraAmount = z
  .union([z.number().min(0).max(1_000_000), z.string().regex(/^\d{1,7}(\.\d{1,3})?$/, 'an amount such as 2.50')])
  .transform(String);

const quantity = z.coerce.number().int().min(1).max(100_000);

export const fastCheckoutStoreParams = z.object({ store: z.string().min(1).max(100) });
export const fastCheckoutProductParams = fastCheckoutStoreParams.extend({ product: z.string().min(1).max(200) });
export const fastCheckoutVariantParams = fastCheckoutProductParams.extend({ variant: rowId });
export const fastCheckoutOrderParams = fastCheckoutStoreParams.extend({
  token: z.string().regex(/^fco_[A-Za-z0-9_-]{32}$/, 'an order token'),
});

/** The seed's pre-fill parameters (and `withoutVariants`); `additional-[key]` ones are read beside these. */
export const fastCheckoutProductQuery = z.object({
  withoutVariants: queryBoolean,
  email: z.string().max(255).optional(),
  coupon: z.string().max(100).optional(),
  payment_method: z.string().max(50).optional(),
  quantity: z.string().max(10).optional(),
  variant: z.string().max(20).optional(),
  affiliate: z.string().max(100).optional(),
  aff: z.string().max(100).optional(),
});

export const fastCheckoutQuoteQuery = z.object({
  coupon: z.string().max(100).optional(),
  quantity: quantity.default(1),
  extra: extraAmount.optional(),
  payment_method: z.enum(PAYMENT_METHODS).optional(),
});

/** Laravel's `accepted`. */
const accepted = z
  .union([z.boolean(), z.literal(1), z.enum(['true', '1', 'on', 'yes'])])
  .refine((v) => v !== false, 'must be accepted')
  .optional();

/** The embed's order; e-mail, payment method, quantity, coupon and affiliate may come from the pre-fill instead. */
export const fastCheckoutOrderBody = z.object({
  /** Optional only where the store disabled the checkout e-mail: see fastCheckoutOrderBodyFor. */
  customer_email: z.string().email().max(255).nullish(),
  payment_method: z.enum([...PAYMENT_METHODS, CUSTOM_PAYMENT_METHOD]),
  /** With payment_method CUSTOM_PAYMENT_METHOD: which of the store's custom methods. */
  custom_payment_method_id: z.string().length(26).optional(),
  quantity: quantity.default(1),
  coupon: z.string().max(100).optional(),
  extra: extraAmount.optional(),
  additional_information: z.record(z.string().max(100), z.unknown()).default({}),
  vat_id: z.string().max(50).optional(),
  /** The buyer's country: an ISO 3166-1 alpha-2 code (either case, kept in capitals). */
  country: z
    .string()
    .max(100)
    .transform((value, ctx) => {
      const code = countryCode(value);
      if (code === null) {
        ctx.addIssue({ code: 'custom', message: 'must be a two-letter ISO 3166-1 country code, such as BE' });
        return z.NEVER;
      }
      return code;
    })
    .optional(),
  terms_of_service: accepted,
  affiliate: z.string().max(100).nullable().optional(),
  /** The buyer's checkout session fingerprint, for the store's fingerprint attempt limit; named as on `POST /v2/invoices`. */
  checkout_fingerprint: z.string().min(1).max(200).optional(),
  /** The name fast checkout took first, still accepted: `checkout_fingerprint` wins when both are sent. */
  fingerprint: z.string().min(1).max(200).optional(),
});

/**
 * The order body of a store's checkout: the e-mail required unless the store disabled the
 * checkout e-mail, so that a missing one is listed with every other field at fault.
 */
export const fastCheckoutOrderBodyFor = (store: { asksEmail: boolean }) =>
  store.asksEmail ? fastCheckoutOrderBody.extend({ customer_email: z.string().email().max(255) }) : fastCheckoutOrderBody;

/** The buyer's proof of a custom payment: a text, the key of an uploaded image, or both. */
export const paymentProofBody = z.object({
  text: z.string().max(10_000).nullable().optional(),
  image_key: z.string().min(1).max(500).nullable().optional(),
});

/** A presigned PUT for the proof image (type and size are checked against the proof limits). */
export const paymentProofUploadBody = z.object({
  file_name: z.string().min(1).max(255),
  content_type: z.string().min(1).max(100),
  content_length: z.number().int().min(0).max(1_000_000_000),
});
