import { randomBytes } from 'node:crypto';
import type { AsnLookup } from '../blacklists/asn-lookup';
import type { CatalogActor } from '../catalog/actor';
import { CatalogNotFoundError } from '../catalog/errors';
import { bulkDiscount, loadProductViews, stockOf } from '../catalog/views/sellapp';
import type { Db } from '../db/schema';
import { currencyDecimals, majorUnits, minorUnitsOf } from '../domain/currency-minor-units';
import { CUSTOM_PAYMENT_METHOD } from '../domain/custom-payment-method';
import { PAYMENT_METHODS } from '../domain/payment-methods';
import { checkout, type CheckoutDependencies, type CheckoutOutcome } from './checkout';
import { isPurchasable, priceInvoice } from './create-invoice';
import { orderTokenHash } from './buyer-order';
import { InvoiceRuleError } from './errors';
import type { CheckoutReminderTiming } from './checkout-reminders';
import { placeInvoice } from './place-invoice';
import { findStoreInvoice } from './store-invoice';

/**
 * Fast checkout: what a seller's storefront embed asks without a key. The buyer sees the
 * product and a quote, then buys through the same path as a key-created invoice (attempt
 * limits, blacklist, every catalogue rule, affiliate attribution, the gateway's checkout), in
 * live mode. The buyer follows the order by a token only they hold.
 */
export interface FastCheckoutStore {
  id: number;
  slug: string;
  name: string;
  allowedOrigins: string[];
  /** False where the store disabled the checkout e-mail: the form leaves the e-mail out. */
  asksEmail: boolean;
}

/** A store by its id (what the embed's data-sell-store carries) or its slug; null when there is none. */
export async function findFastCheckoutStore(db: Db, ref: string): Promise<FastCheckoutStore | null> {
  const byId = /^\d{1,10}$/.test(ref) && Number(ref) <= 2_147_483_647;
  const row = await db
    .selectFrom('stores')
    .select(['id', 'slug', 'name', 'checkout_allowed_origins', 'disable_checkout_email'])
    .where(byId ? 'id' : 'slug', '=', byId ? Number(ref) : ref)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return row
    ? { id: row.id, slug: row.slug, name: row.name, allowedOrigins: row.checkout_allowed_origins, asksEmail: !row.disable_checkout_email }
    : null;
}

const liveActor = (store: FastCheckoutStore): CatalogActor => ({ storeId: store.id, storeSlug: store.slug, livemode: true });

/** A product buyers may buy, by id or slug. */
async function purchasableProduct(db: Db, storeId: number, ref: string) {
  const byId = /^\d{1,10}$/.test(ref) && Number(ref) <= 2_147_483_647;
  const product = await db
    .selectFrom('products')
    .select(['id', 'title', 'slug', 'description', 'images', 'visibility', 'status', 'additional_information'])
    .where('store_id', '=', storeId)
    .where(byId ? 'id' : 'slug', '=', byId ? Number(ref) : ref)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!product || !isPurchasable(product)) throw new CatalogNotFoundError('Product');
  return product;
}

async function purchasableVariants(db: Db, productId: number) {
  const { variantsOf, stockOf: serialStockOf } = await loadProductViews(db, [productId]);
  const variants = variantsOf(productId);
  const customIds = [...new Set(variants.flatMap((v) => v.custom_payment_method_ids))];
  // The store's custom methods the variants offer, as a buyer chooses them (enabled, not deleted).
  const customMethods =
    customIds.length === 0
      ? []
      : await db
          .selectFrom('custom_payment_methods')
          .select(['id', 'name', 'description'])
          .where('id', 'in', customIds)
          .where('enabled', '=', true)
          .where('deleted_at', 'is', null)
          .orderBy('sort_order')
          .orderBy('name')
          .execute();
  // What a buyer sees of a variant: never its deliverable.
  return variants.map((v) => ({
    id: v.id,
    title: v.title,
    description: v.description,
    price: { price: String(v.price_cents), currency: v.currency },
    humble: v.humble,
    pricing_type: v.pricing_type,
    minimum_purchase_quantity: v.minimum_purchase_quantity,
    maximum_purchase_quantity: v.maximum_purchase_quantity,
    quantity_increments: Number(v.other_settings.quantity_increments ?? 1),
    bulk_discount: bulkDiscount(v),
    payment_methods: v.payment_methods,
    /** With payment_method CUSTOM_PAYMENT_METHOD and custom_payment_method_id: the seller's own methods. */
    custom_payment_methods: customMethods.filter((m) => v.custom_payment_method_ids.includes(m.id)),
    stock: stockOf(v, serialStockOf(v.id)),
  }));
}

/** The seed's pre-fill parameters, as the page or button carried them (unchecked). */
export interface FastCheckoutPrefill {
  email?: string;
  coupon?: string;
  paymentMethod?: string;
  quantity?: string;
  variant?: string;
  affiliate?: string;
  /** `additional-[key]` values by key. */
  additional: Record<string, string>;
}

/** Embed values are JSON when they parse as JSON (booleans, numbers, lists), text otherwise. */
function prefillValue(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** The pre-fill's `additional-[key]` answers, each value as the embed means it (JSON when it is JSON). */
export function prefillAnswers(additional: Record<string, string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(additional).map(([key, raw]) => [key, prefillValue(raw)]));
}

/**
 * A pre-filled `payment_method` as an order names it: a built-in method by its value (`STRIPE`),
 * a custom one by the seller's id for it (the seed: "the full custom method value"), which the
 * order carries as CUSTOM_PAYMENT_METHOD with custom_payment_method_id. Null for anything else.
 */
export function prefilledMethod(raw: string | undefined): { paymentMethod: string; customPaymentMethodId?: string } | null {
  const value = raw?.trim() ?? '';
  if ((PAYMENT_METHODS as readonly string[]).includes(value)) return { paymentMethod: value };
  if (CUSTOM_METHOD_ID.test(value)) return { paymentMethod: CUSTOM_PAYMENT_METHOD, customPaymentMethodId: value };
  return null;
}

/** A custom method's id, as the API shows it (26 characters). */
const CUSTOM_METHOD_ID = /^[a-z0-9]{26}$/;

interface PrefillVariant {
  id: number;
  payment_methods: string[];
  custom_payment_methods: { id: string }[];
}

/** Whether the chosen variant (any, when none is chosen) offers the method. */
function offered(method: { paymentMethod: string; customPaymentMethodId?: string }, variants: PrefillVariant[]): boolean {
  return variants.some((v) =>
    method.customPaymentMethodId !== undefined
      ? v.custom_payment_methods.some((m) => m.id === method.customPaymentMethodId)
      : v.payment_methods.includes(method.paymentMethod),
  );
}

/**
 * The pre-fill the checkout opens with. What does not fit the product (an unknown variant or
 * field, a quantity that is no number, a payment method the variant does not offer) is left
 * out rather than refused: an old link must still open the checkout.
 */
function checkedPrefill(prefill: FastCheckoutPrefill, variants: PrefillVariant[], fieldKeys: string[]) {
  const quantity = prefill.quantity !== undefined && /^\d{1,6}$/.test(prefill.quantity) ? Number(prefill.quantity) : null;
  const chosen = prefill.variant !== undefined ? variants.find((v) => v.id === Number(prefill.variant)) : undefined;
  const method = prefilledMethod(prefill.paymentMethod);
  const fits = method !== null && offered(method, chosen ? [chosen] : variants) ? method : null;
  return {
    variant_id: chosen?.id ?? null,
    quantity: quantity !== null && quantity > 0 ? quantity : null,
    coupon: prefill.coupon?.trim() || null,
    email: prefill.email && /^[^@\s]+@[^@\s]+$/.test(prefill.email) ? prefill.email : null,
    payment_method: fits?.paymentMethod ?? null,
    /** With payment_method CUSTOM_PAYMENT_METHOD: which of the seller's methods. */
    custom_payment_method_id: fits?.customPaymentMethodId ?? null,
    affiliate: prefill.affiliate?.trim() || null,
    additional_information: prefillAnswers(
      Object.fromEntries(Object.entries(prefill.additional).filter(([key]) => fieldKeys.includes(key))),
    ),
  };
}

/** The product as the embed shows it, its variants (unless left out) and the checked pre-fill. */
export async function fastCheckoutProduct(
  db: Db,
  store: FastCheckoutStore,
  productRef: string,
  options: { withoutVariants: boolean; prefill: FastCheckoutPrefill },
) {
  const product = await purchasableProduct(db, store.id, productRef);
  const variants = await purchasableVariants(db, product.id);
  const fields = product.additional_information as { key: string }[];
  return {
    // asks_customer_email false: the store disabled the checkout e-mail, and the form should not ask for one.
    store: { id: store.id, slug: store.slug, name: store.name, asks_customer_email: store.asksEmail },
    product: {
      id: product.id,
      title: product.title,
      slug: product.slug,
      description: product.description,
      images: product.images,
      additional_information: product.additional_information,
    },
    ...(options.withoutVariants ? {} : { variants }),
    prefill: checkedPrefill(
      options.prefill,
      variants,
      fields.map((f) => f.key),
    ),
  };
}

export interface FastCheckoutQuoteInput {
  quantity: number;
  coupon?: string;
  /** Pay-what-you-want top-up as the buyer typed it, in major units of the variant's currency ("2.50"). */
  extra?: string;
  paymentMethod?: string;
}

/**
 * The buyer's top-up in minor units of the variant's currency (2.50 USD → 250, 300 JPY → 300).
 * It is charged as typed, so a fraction the currency has no digits for (2.5 yen) is refused, not rounded.
 */
function extraOf(extra: string | undefined, currency: string) {
  if (extra === undefined) return undefined;
  const amount = minorUnitsOf(extra, currency);
  if (amount === null || Number(majorUnits(amount, currency)) !== Number(extra))
    throw new InvoiceRuleError('invalid_field', `extra has at most ${currencyDecimals(currency)} decimals in ${currency}`, 'extra');
  return { amount, currency };
}

/** What the variant costs at this quantity, with this coupon and extra: priced by the invoice's own rules. */
async function quote(db: Db, store: FastCheckoutStore, productRef: string, variantId: number, input: FastCheckoutQuoteInput) {
  const product = await purchasableProduct(db, store.id, productRef);
  const variant = (await purchasableVariants(db, product.id)).find((v) => v.id === variantId);
  if (!variant) throw new CatalogNotFoundError('Variant');
  const priced = await db.transaction().execute((trx) =>
    priceInvoice(trx, liveActor(store), {
      lines: [{ variantId, quantity: input.quantity, additionalInformation: {} }],
      coupon: input.coupon,
      extra: extraOf(input.extra, variant.price.currency),
      paymentMethod: input.paymentMethod,
      quote: true,
    }),
  );
  return { product, variant, priced };
}

export async function quoteFastCheckout(
  db: Db,
  store: FastCheckoutStore,
  productRef: string,
  variantId: number,
  input: FastCheckoutQuoteInput,
) {
  const { product, variant, priced } = await quote(db, store, productRef, variantId, input);
  const { totals, coupon } = priced;
  const cents = (value: number) => String(value);
  return {
    product: { id: product.id, title: product.title, additional_information: product.additional_information },
    variant,
    quantity: input.quantity,
    currency: variant.price.currency,
    subtotal: cents(totals.subtotalCents),
    bulk_discount: cents(totals.lines[0]!.bulkDiscountCents),
    coupon: coupon ? { code: coupon.code, discount: cents(totals.couponDiscountCents) } : null,
    extra: cents(totals.extraCents),
    total: cents(totals.totalCents),
  };
}

export interface FastCheckoutOrderInput extends FastCheckoutQuoteInput {
  /** Null where the store disabled the checkout e-mail and the buyer gave none. */
  customerEmail: string | null;
  paymentMethod: string;
  customPaymentMethodId?: string;
  additionalInformation: Record<string, unknown>;
  vatId?: string;
  country?: string;
  affiliate?: string | null;
  customerIp: string | null;
  fingerprint?: string | null;
}

/** The hosted page where a buyer follows their order (src/hosted-checkout). */
export function hostedOrderUrl(publicBaseUrl: string, store: { slug: string }, token: string): string {
  return `${publicBaseUrl.replace(/\/$/, '')}/checkout/${encodeURIComponent(store.slug)}/orders/${token}`;
}

/**
 * Buys: the invoice is placed exactly as a key would place it (one path: attempts, blacklist,
 * rules, attribution), then its payment opened with the gateway. Answers the order token the
 * buyer follows the order by (only its hash is kept) and the gateway's outcome.
 */
export async function placeFastCheckout(
  deps: CheckoutDependencies & { db: Db; asn: AsnLookup; checkoutReminders: CheckoutReminderTiming },
  store: FastCheckoutStore,
  productRef: string,
  variantId: number,
  input: FastCheckoutOrderInput,
): Promise<{ invoiceId: number; token: string; outcome: CheckoutOutcome }> {
  const product = await purchasableProduct(deps.db, store.id, productRef);
  const variant = await deps.db
    .selectFrom('product_variants')
    .select(['id', 'currency'])
    .where('id', '=', variantId)
    .where('product_id', '=', product.id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!variant) throw new CatalogNotFoundError('Variant');
  const token = `fco_${randomBytes(24).toString('base64url')}`;
  const invoiceId = await placeInvoice(
    deps.db,
    liveActor(store),
    {
      customerEmail: input.customerEmail,
      paymentMethod: input.paymentMethod,
      customPaymentMethodId: input.customPaymentMethodId,
      lines: [{ variantId, quantity: input.quantity, additionalInformation: input.additionalInformation }],
      customerIp: input.customerIp,
      fingerprint: input.fingerprint,
      coupon: input.coupon,
      vatId: input.vatId,
      country: input.country,
      affiliate: input.affiliate,
      extra: extraOf(input.extra, variant.currency),
      statusTokenHash: orderTokenHash(token),
    },
    deps.asn,
    deps.checkoutReminders,
  );
  const invoice = (await findStoreInvoice(deps.db, store.id, invoiceId))!;
  // Stripe sends the buyer back to the hosted status page of this order, embed or not.
  const outcome = await checkout(deps, store, invoice, { returnUrl: hostedOrderUrl(deps.publicBaseUrl, store, token), statusToken: token });
  return { invoiceId, token, outcome };
}
