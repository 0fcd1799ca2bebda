import type { DbExecutor, VariantDeliverableConfig } from '../../db/schema';
import { availableCounts, availableSerials } from '../serial-stock';
import { laravelTime } from './timestamps';

/**
 * SellApp v2 product / variant and v1 listing JSON, field for field and in the seeds'
 * key order. Prices leave as strings of cents; booleans SellApp sends as 0/1 stay 0/1.
 */

type Product = {
  id: number;
  title: string;
  slug: string;
  description: string;
  images: unknown[];
  order: number;
  visibility: string;
  delivery_text: string | null;
  additional_information: unknown[];
  other_settings: Record<string, unknown>;
  warranty: Record<string, unknown> | null;
  deleted_at: Date | null;
  created_at: Date;
  updated_at: Date;
  store_id: number;
  category_id: number | null;
  section_id: number | null;
  section_order: number | null;
  is_discoverable: boolean;
};

type Variant = {
  id: number;
  product_id: number;
  title: string;
  description: string;
  price_cents: number;
  currency: string;
  humble: boolean;
  pricing_type: string;
  frequency_value: number | null;
  frequency_interval: string | null;
  minimum_purchase_quantity: number;
  maximum_purchase_quantity: number | null;
  bulk_discount: { minimum_purchase_amount: number; discount_percentage: number }[];
  payment_methods: string[];
  custom_payment_method_ids: string[];
  other_settings: Record<string, unknown>;
  deliverable_types: string[];
  deliverable: VariantDeliverableConfig;
  order: number;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
};

export interface ViewContext {
  storefrontBase: string;
  storeSlug: string;
}

export function productUrl(ctx: ViewContext, slug: string): string {
  return `${ctx.storefrontBase}/stores/${ctx.storeSlug}/product/${slug}`;
}

/** The official SDKs decode these as strings: an unset one is '' (the seed showed null). */
export function otherSettingsV2(settings: Record<string, unknown>) {
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  return {
    faq: settings.faq ?? [],
    video_url: text(settings.video_url),
    redirect_url: text(settings.redirect_url),
    product_title: text(settings.product_title),
    product_description: text(settings.product_description),
  };
}

export function productV2(product: Product, variants: { id: number; title: string }[], ctx: ViewContext) {
  return {
    id: product.id,
    title: product.title,
    slug: product.slug,
    description: product.description,
    images: product.images,
    order: product.order,
    visibility: product.visibility,
    delivery_text: product.delivery_text,
    additional_information: product.additional_information,
    other_settings: otherSettingsV2(product.other_settings),
    deleted_at: laravelTime(product.deleted_at),
    created_at: laravelTime(product.created_at),
    updated_at: laravelTime(product.updated_at),
    store_id: product.store_id,
    category_id: product.category_id,
    section_id: product.section_id,
    section_order: product.section_order,
    is_discoverable: product.is_discoverable,
    variants,
    url: productUrl(ctx, product.slug),
  };
}

/** `stock`: unsold serials for TEXT, the seller's figure otherwise, null for unlimited. */
export function stockOf(variant: Pick<Variant, 'deliverable_types' | 'deliverable'>, serialStock: number | undefined): number | null {
  if (variant.deliverable_types.includes('TEXT')) return serialStock ?? 0;
  return variant.deliverable.stock ?? null;
}

function deliverableData(variant: Variant, serialStock: number | undefined, serials: string[] | undefined) {
  const d = variant.deliverable;
  return {
    removeDuplicate: d.removeDuplicate ?? false,
    parsingMode: d.parsingMode ?? 'COMMA',
    stock: stockOf(variant, serialStock),
    ...(d.comment ? { comment: d.comment } : {}),
    ...(serials !== undefined ? { serials } : {}),
    ...(d.delimiter ? { delimiter: d.delimiter } : {}),
    ...(d.webhook ? { webhook: d.webhook } : {}),
    ...(d.license_key ? { license_key: d.license_key } : {}),
    ...(d.files && d.files.length > 0 ? { files: d.files.map((f) => ({ key: f.storage_key, file_name: f.file_name })) } : {}),
  };
}

/** Variant and v1 views show field types upper-case (TEXT, CHECKBOX), as SellApp does there. */
function upperCaseFieldTypes(fields: unknown[]) {
  return (fields as { required: boolean; key: string; type: string; label: string }[]).map((f) => ({ ...f, type: f.type.toUpperCase() }));
}

function pricing(variant: Variant) {
  return {
    humble: variant.humble,
    frequency: { value: variant.frequency_value ?? 1, interval: variant.frequency_interval ?? 'MONTH' },
    type: variant.pricing_type,
    price: { price: String(variant.price_cents), currency: variant.currency },
  };
}

export function bulkDiscount(variant: Pick<Variant, 'bulk_discount'>) {
  return variant.bulk_discount.map((d) => ({
    discount_percentage: d.discount_percentage,
    minimum_purchase_amount: d.minimum_purchase_amount,
  }));
}

function otherSettingsVariant(variant: Variant) {
  return {
    quantity_increments: Number(variant.other_settings.quantity_increments ?? 1),
    discord_data_required: Boolean(variant.other_settings.discord_data_required ?? false),
  };
}

export function variantV2(
  variant: Variant,
  product: Pick<Product, 'additional_information'>,
  serialStock: number | undefined,
  serials?: string[],
) {
  return {
    id: variant.id,
    product_id: variant.product_id,
    title: variant.title,
    description: variant.description,
    deliverable: { data: deliverableData(variant, serialStock, serials), types: variant.deliverable_types },
    pricing: pricing(variant),
    minimum_purchase_quantity: variant.minimum_purchase_quantity,
    maximum_purchase_quantity: variant.maximum_purchase_quantity,
    bulk_discount: bulkDiscount(variant),
    payment_methods: variant.payment_methods,
    custom_payment_method_ids: variant.custom_payment_method_ids,
    other_settings: otherSettingsVariant(variant),
    order: variant.order,
    created_at: laravelTime(variant.created_at),
    updated_at: laravelTime(variant.updated_at),
    deleted_at: laravelTime(variant.deleted_at),
    product: {
      additional_information: upperCaseFieldTypes(product.additional_information).map(({ required, key, type, label }) => ({
        required,
        key,
        type,
        label,
      })),
    },
  };
}

/** A v1 listing: the product and its first variant, flattened. */
export function listingV1(
  product: Product,
  variant: Variant | undefined,
  serialStock: number | undefined,
  serials: string[] | undefined,
  ctx: ViewContext,
) {
  return {
    id: product.id,
    title: product.title,
    slug: product.slug,
    description: product.description,
    images: product.images,
    order: product.order,
    visibility: product.visibility,
    additional_information: upperCaseFieldTypes(product.additional_information),
    warranty: product.warranty ?? { preferredUnit: 'HOURS' },
    other_settings: { ...product.other_settings, ...(variant ? otherSettingsVariant(variant) : {}) },
    deleted_at: laravelTime(product.deleted_at),
    created_at: laravelTime(product.created_at),
    updated_at: laravelTime(product.updated_at),
    store_id: product.store_id,
    category_id: product.category_id,
    section_id: product.section_id,
    section_order: product.section_order,
    is_discoverable: product.is_discoverable ? 1 : 0,
    image: null,
    bulk_discount: variant ? bulkDiscount(variant) : [],
    deliverable: {
      data: variant ? deliverableData(variant, serialStock, serials) : {},
      types: variant?.deliverable_types ?? [],
      delivery_text: product.delivery_text,
    },
    minimum_purchase_quantity: variant?.minimum_purchase_quantity ?? 1,
    maximum_purchase_quantity: variant?.maximum_purchase_quantity ?? null,
    price: variant ? { price: String(variant.price_cents), currency: variant.currency } : null,
    pricing_type: variant?.pricing_type ?? 'SINGLE_PAYMENT',
    charge_frequency: { value: variant?.frequency_value ?? 1, interval: variant?.frequency_interval ?? 'MONTH' },
    humble: variant?.humble ?? false,
    payment_methods: variant?.payment_methods ?? [],
    url: productUrl(ctx, product.slug),
  };
}

/** Loads what the views above need for a set of products, in three queries. */
export async function loadProductViews(db: DbExecutor, productIds: number[]) {
  const variants =
    productIds.length === 0
      ? []
      : await db
          .selectFrom('product_variants')
          .selectAll()
          .where('product_id', 'in', productIds)
          .where('deleted_at', 'is', null)
          .orderBy('order')
          .orderBy('id')
          .execute();
  const stock = await availableCounts(
    db,
    variants.filter((v) => v.deliverable_types.includes('TEXT')).map((v) => v.id),
  );
  const byProduct = new Map<number, typeof variants>();
  for (const variant of variants) byProduct.set(variant.product_id, [...(byProduct.get(variant.product_id) ?? []), variant]);
  return { variantsOf: (productId: number) => byProduct.get(productId) ?? [], stockOf: (variantId: number) => stock.get(variantId) };
}

export async function serialsForView(db: DbExecutor, variant: { id: number; deliverable_types: string[] }): Promise<string[] | undefined> {
  return variant.deliverable_types.includes('TEXT') ? availableSerials(db, variant.id) : undefined;
}
