import type { DbExecutor, VariantDeliverableConfig } from '../db/schema';
import { type BillingInterval, isWithinOneYear, maxCount } from '../domain/billing-interval';
import { type ParsingMode, parseSerials, SerialParsingError } from '../domain/serials';
import { recordEvent } from '../events/record';
import type { ObjectStorage } from '../storage/object-storage';
import type { CatalogActor } from './actor';
import { resolveUploadedFiles, syncFileRows } from './deliverable-files';
import { checkTypes, checkWebhookUrl, type DeliverableType } from './deliverable-rules';
import { CatalogNotFoundError, CatalogRuleError } from './errors';
import { unknownCustomMethodIds } from '../gateways/custom-payment-methods';
import { checkSnapshot } from './snapshot';
import { appendSerials, availableCount, knownSerials, replaceAvailableSerials } from './serial-stock';

/** A variant as the API layers hand it over: every field optional on update. */
export interface VariantInput {
  title?: string;
  description?: string;
  priceCents?: number;
  currency?: string;
  humble?: boolean;
  pricingType?: 'SINGLE_PAYMENT' | 'SUBSCRIPTION';
  frequency?: { value: number; interval: BillingInterval } | null;
  minimumPurchaseQuantity?: number;
  maximumPurchaseQuantity?: number | null;
  bulkDiscount?: { minimum_purchase_amount: number; discount_percentage: number }[];
  paymentMethods?: string[];
  /** The store's custom payment methods this variant offers (SellApp's custom_payment_method_ids). */
  customPaymentMethodIds?: string[];
  quantityIncrements?: number;
  discordDataRequired?: boolean;
  visibility?: string;
  /** The `updated_at` the client last read: a later change refuses the write (see snapshot.ts). */
  expectedUpdatedAt?: string;
  deliverable?: {
    types: DeliverableType[];
    parsingMode?: ParsingMode;
    delimiter?: string | null;
    removeDuplicate?: boolean;
    /** Serial stock as sent: one text to split, or a list whose items are split too. */
    serials?: string | string[];
    comment?: string | null;
    webhook?: string | null;
    stock?: number | null;
    licenseKey?: { prefix?: string | null; limit?: number | null; expiresInDays?: number | null } | null;
    /** DOWNLOADABLE: storage keys of uploaded files (POST /api/v1/uploads). */
    files?: string[];
    /** DOWNLOADABLE: deliver the product's current release instead (Sell publishing API). */
    fromCurrentRelease?: boolean;
  };
}

const PARAM = 'deliverable.data';

function checkPricing(input: VariantInput, merged: { pricingType: string; frequency: VariantInput['frequency'] }): void {
  if (input.priceCents !== undefined && (!Number.isInteger(input.priceCents) || input.priceCents < 0)) {
    throw new CatalogRuleError('invalid_field', 'Price must be a whole number of cents, 0 or more', 'pricing.price.price');
  }
  if (merged.pricingType === 'SUBSCRIPTION') {
    if (!merged.frequency)
      throw new CatalogRuleError('missing_field', 'Subscription variants need a charge frequency', 'pricing.frequency');
    if (!isWithinOneYear(merged.frequency.value, merged.frequency.interval)) {
      throw new CatalogRuleError(
        'invalid_field',
        `A subscription period is at most one year: every 1-${maxCount(merged.frequency.interval)} ${merged.frequency.interval.toLowerCase()}(s)`,
        'pricing.frequency.value',
      );
    }
  }
}

function checkQuantities(min: number, max: number | null, increments: number): void {
  if (min < 1) throw new CatalogRuleError('invalid_field', 'The minimum purchase quantity is at least 1', 'minimum_purchase_quantity');
  if (max !== null && max < min) {
    throw new CatalogRuleError('invalid_field', 'The maximum purchase quantity cannot be below the minimum', 'maximum_purchase_quantity');
  }
  if (increments < 1)
    throw new CatalogRuleError('invalid_field', 'quantity_increments is at least 1', 'other_settings.quantity_increments');
}

/**
 * Creates or updates a variant and its deliverable stock, recording variant.created /
 * variant.updated (and variant.sold_out on the transition to zero serials) in the same
 * transaction. Serials sent on update replace the unsold stock; sold serials stay.
 */
export async function writeVariant(
  trx: DbExecutor,
  actor: CatalogActor,
  target: { productId: number; variantId?: number },
  input: VariantInput,
  storage?: ObjectStorage,
): Promise<number> {
  if (target.variantId) {
    await checkSnapshot(
      trx,
      { table: 'product_variants', id: target.variantId, storeId: actor.storeId, resource: 'Product variant' },
      input.expectedUpdatedAt,
    );
  }
  const store = await trx.selectFrom('stores').select('allow_http_webhooks').where('id', '=', actor.storeId).executeTakeFirstOrThrow();
  const existing = target.variantId
    ? await trx
        .selectFrom('product_variants')
        .selectAll()
        .where('id', '=', target.variantId)
        .where('product_id', '=', target.productId)
        .where('store_id', '=', actor.storeId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst()
    : undefined;
  if (target.variantId && !existing) throw new CatalogNotFoundError('Product variant');

  const pricingType = input.pricingType ?? (existing?.pricing_type as VariantInput['pricingType']) ?? 'SINGLE_PAYMENT';
  const frequency =
    input.frequency !== undefined
      ? input.frequency
      : existing?.frequency_value && existing.frequency_interval
        ? { value: existing.frequency_value, interval: existing.frequency_interval as BillingInterval }
        : null;
  checkPricing(input, { pricingType, frequency });
  const min = input.minimumPurchaseQuantity ?? existing?.minimum_purchase_quantity ?? 1;
  const max = input.maximumPurchaseQuantity !== undefined ? input.maximumPurchaseQuantity : (existing?.maximum_purchase_quantity ?? null);
  const otherSettings = { quantity_increments: 1, discord_data_required: false, ...(existing?.other_settings ?? {}) } as Record<
    string,
    unknown
  >;
  if (input.quantityIncrements !== undefined) otherSettings.quantity_increments = input.quantityIncrements;
  if (input.discordDataRequired !== undefined) otherSettings.discord_data_required = input.discordDataRequired;
  checkQuantities(min, max, Number(otherSettings.quantity_increments));
  if (input.paymentMethods !== undefined && input.paymentMethods.length === 0) {
    throw new CatalogRuleError('missing_field', 'A variant needs at least one payment method', 'payment_methods');
  }
  if (input.bulkDiscount?.some((d) => d.discount_percentage < 0 || d.discount_percentage > 100 || d.minimum_purchase_amount < 1)) {
    throw new CatalogRuleError(
      'invalid_field',
      'Bulk discounts need a quantity of at least 1 and a percentage from 0 to 100',
      'bulk_discount',
    );
  }

  let deliverable: VariantDeliverableConfig = existing?.deliverable ?? {};
  let types = (existing?.deliverable_types ?? []) as DeliverableType[];
  let newSerials: string[] | undefined;
  if (input.deliverable) {
    const d = input.deliverable;
    types = d.types;
    checkTypes(types, 'deliverable.types');
    const parsingMode = d.parsingMode ?? (deliverable.parsingMode as ParsingMode | undefined) ?? 'COMMA';
    const delimiter = d.delimiter !== undefined ? d.delimiter : (deliverable.delimiter ?? null);
    const removeDuplicate = d.removeDuplicate ?? deliverable.removeDuplicate ?? false;
    if (parsingMode === 'CUSTOM' && !delimiter)
      throw new CatalogRuleError('missing_field', 'parsingMode CUSTOM needs a delimiter', `${PARAM}.delimiter`);
    const webhook = d.webhook !== undefined ? d.webhook : (deliverable.webhook ?? null);
    if (types.includes('DYNAMIC')) {
      if (!webhook) throw new CatalogRuleError('missing_field', 'DYNAMIC deliverables need a webhook URL', `${PARAM}.webhook`);
    }
    const comment = d.comment !== undefined ? d.comment : (deliverable.comment ?? null);
    if (types.includes('MANUAL') && !comment) {
      throw new CatalogRuleError(
        'missing_field',
        'MANUAL (static value) deliverables need a comment: the text or instructions to deliver',
        `${PARAM}.comment`,
      );
    }
    const files =
      d.files !== undefined ? await resolveUploadedFiles(trx, actor, storage, d.files, `${PARAM}.files`) : (deliverable.files ?? []);
    const fromCurrentRelease = d.fromCurrentRelease ?? deliverable.current_release ?? false;
    if (types.includes('DOWNLOADABLE') && files.length === 0 && !fromCurrentRelease) {
      throw new CatalogRuleError('missing_field', 'DOWNLOADABLE deliverables need at least one uploaded file', `${PARAM}.files`);
    }
    const licenseKey = types.includes('LICENSE_KEY')
      ? {
          prefix: d.licenseKey?.prefix ?? deliverable.license_key?.prefix ?? null,
          limit: d.licenseKey?.limit !== undefined ? d.licenseKey.limit : (deliverable.license_key?.limit ?? null),
          expires_in_days:
            d.licenseKey?.expiresInDays !== undefined ? d.licenseKey.expiresInDays : (deliverable.license_key?.expires_in_days ?? null),
        }
      : null;
    if (licenseKey?.prefix && !/^[A-Za-z0-9_-]{1,20}$/.test(licenseKey.prefix)) {
      throw new CatalogRuleError(
        'invalid_field',
        'A license key prefix is 1-20 letters, digits, dashes or underscores',
        `${PARAM}.license_key.prefix`,
      );
    }
    deliverable = {
      parsingMode,
      delimiter,
      removeDuplicate,
      comment,
      webhook: webhook
        ? checkWebhookUrl(webhook, { livemode: actor.livemode, allowHttp: store.allow_http_webhooks, param: `${PARAM}.webhook` })
        : null,
      stock: d.stock !== undefined ? d.stock : (deliverable.stock ?? null),
      license_key: licenseKey,
      files,
      ...(fromCurrentRelease ? { current_release: true } : {}),
    };
    if (d.serials !== undefined) {
      if (!types.includes('TEXT'))
        throw new CatalogRuleError('invalid_field', 'Serials need the TEXT deliverable type', `${PARAM}.serials`);
      try {
        const sold = existing ? await knownSerials(trx, existing.id, 'SOLD') : new Set<string>();
        newSerials = parseSerials(d.serials, {
          mode: parsingMode,
          delimiter: delimiter ?? undefined,
          removeDuplicates: removeDuplicate,
          existing: sold,
        }).serials;
      } catch (error) {
        if (error instanceof SerialParsingError) throw new CatalogRuleError('invalid_field', error.message, `${PARAM}.serials`);
        throw error;
      }
    }
  } else if (!existing) {
    throw new CatalogRuleError('missing_field', 'A variant needs a deliverable', 'deliverable');
  }

  const values = {
    title: input.title ?? existing?.title ?? 'Default',
    description: input.description ?? existing?.description ?? '',
    price_cents: input.priceCents ?? existing?.price_cents ?? 0,
    currency: (input.currency ?? existing?.currency ?? 'USD').toUpperCase(),
    humble: input.humble ?? existing?.humble ?? false,
    pricing_type: pricingType,
    frequency_value: frequency?.value ?? null,
    frequency_interval: frequency?.interval ?? null,
    minimum_purchase_quantity: min,
    maximum_purchase_quantity: max,
    bulk_discount: JSON.stringify(input.bulkDiscount ?? existing?.bulk_discount ?? []),
    payment_methods: input.paymentMethods ?? existing?.payment_methods ?? [],
    custom_payment_method_ids: input.customPaymentMethodIds ?? existing?.custom_payment_method_ids ?? [],
    other_settings: JSON.stringify(otherSettings),
    visibility: input.visibility ?? existing?.visibility ?? 'PUBLIC',
    deliverable_types: types,
    deliverable: JSON.stringify(deliverable),
    updated_at: new Date(),
  };
  if (values.payment_methods.length === 0)
    throw new CatalogRuleError('missing_field', 'A variant needs at least one payment method', 'payment_methods');
  if (input.customPaymentMethodIds !== undefined) {
    const unknown = await unknownCustomMethodIds(trx, actor.storeId, [...new Set(input.customPaymentMethodIds)]);
    if (unknown.length > 0)
      throw new CatalogRuleError(
        'invalid_field',
        `No custom payment method ${unknown.join(', ')} in this store`,
        'custom_payment_method_ids',
      );
    values.custom_payment_method_ids = [...new Set(input.customPaymentMethodIds)];
  }

  let variantId: number;
  if (existing) {
    await trx.updateTable('product_variants').set(values).where('id', '=', existing.id).execute();
    variantId = existing.id;
  } else {
    const next = await trx
      .selectFrom('product_variants')
      .select((eb) => eb.fn.coalesce(eb.fn.max('order'), eb.lit(0)).as('max'))
      .where('product_id', '=', target.productId)
      .executeTakeFirstOrThrow();
    const row = await trx
      .insertInto('product_variants')
      .values({ ...values, store_id: actor.storeId, product_id: target.productId, order: Number(next.max) + 1, deleted_at: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    variantId = row.id;
  }
  if (input.deliverable?.files !== undefined) {
    await syncFileRows(trx, { storeId: actor.storeId, variantId, productId: target.productId }, deliverable.files ?? []);
  }
  if (newSerials !== undefined) {
    if (existing) await replaceAvailableSerials(trx, { storeId: actor.storeId, variantId, serials: newSerials });
    else await appendSerials(trx, { storeId: actor.storeId, variantId, serials: newSerials });
  }
  await trx.updateTable('products').set({ updated_at: new Date() }).where('id', '=', target.productId).execute();
  await recordEvent(trx, {
    storeId: actor.storeId,
    livemode: actor.livemode,
    type: existing ? 'variant.updated' : 'variant.created',
    data: { id: variantId, product_id: target.productId },
  });
  await syncSoldOut(trx, actor, variantId);
  return variantId;
}

/** Adds serial stock to a variant (restock). Returns how many were added and dropped. */
export async function restockSerials(
  trx: DbExecutor,
  actor: CatalogActor,
  variantId: number,
  input: { serials: string | string[]; parsingMode?: ParsingMode; delimiter?: string; removeDuplicate?: boolean },
): Promise<{ added: number; duplicatesRemoved: number; stock: number }> {
  const variant = await trx
    .selectFrom('product_variants')
    .select(['id', 'deliverable', 'deliverable_types'])
    .where('id', '=', variantId)
    .where('store_id', '=', actor.storeId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!variant) throw new CatalogNotFoundError('Product variant');
  if (!variant.deliverable_types.includes('TEXT'))
    throw new CatalogRuleError('invalid_field', 'This variant does not deliver serials (TEXT)', 'serials');
  const mode = input.parsingMode ?? (variant.deliverable.parsingMode as ParsingMode | undefined) ?? 'NEW_LINE';
  const removeDuplicates = input.removeDuplicate ?? variant.deliverable.removeDuplicate ?? false;
  let parsed;
  try {
    parsed = parseSerials(input.serials, {
      mode,
      delimiter: input.delimiter ?? variant.deliverable.delimiter ?? undefined,
      removeDuplicates,
      existing: removeDuplicates ? await knownSerials(trx, variantId) : undefined,
    });
  } catch (error) {
    if (error instanceof SerialParsingError) throw new CatalogRuleError('invalid_field', error.message, 'delimiter');
    throw error;
  }
  await appendSerials(trx, { storeId: actor.storeId, variantId, serials: parsed.serials });
  await syncSoldOut(trx, actor, variantId);
  return { added: parsed.serials.length, duplicatesRemoved: parsed.duplicatesRemoved, stock: await availableCount(trx, variantId) };
}

/**
 * Keeps `sold_out` in step with serial stock and records variant.sold_out once per
 * transition to zero (restocking re-arms it).
 */
export async function syncSoldOut(trx: DbExecutor, actor: CatalogActor, variantId: number): Promise<void> {
  const variant = await trx
    .selectFrom('product_variants')
    .select(['product_id', 'sold_out', 'deliverable_types'])
    .where('id', '=', variantId)
    .executeTakeFirstOrThrow();
  const soldOut = variant.deliverable_types.includes('TEXT') && (await availableCount(trx, variantId)) === 0;
  if (soldOut === variant.sold_out) return;
  await trx.updateTable('product_variants').set({ sold_out: soldOut }).where('id', '=', variantId).execute();
  if (soldOut) {
    await recordEvent(trx, {
      storeId: actor.storeId,
      livemode: actor.livemode,
      type: 'variant.sold_out',
      data: { id: variantId, product_id: variant.product_id },
    });
  }
}

export async function trashVariant(trx: DbExecutor, actor: CatalogActor, productId: number, variantId: number): Promise<void> {
  const result = await trx
    .updateTable('product_variants')
    .set({ deleted_at: new Date(), updated_at: new Date() })
    .where('id', '=', variantId)
    .where('product_id', '=', productId)
    .where('store_id', '=', actor.storeId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) throw new CatalogNotFoundError('Product variant');
  await recordEvent(trx, {
    storeId: actor.storeId,
    livemode: actor.livemode,
    type: 'variant.updated',
    data: { id: variantId, product_id: productId, deleted: true },
  });
}
