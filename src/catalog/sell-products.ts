import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';
import type { BillingInterval } from '../domain/billing-interval';
import { looksLikePublicId } from '../domain/public-id';
import type { CatalogActor } from './actor';
import { CatalogConflictError, CatalogNotFoundError, CatalogRuleError, LivemodeForbiddenError } from './errors';
import { createProduct, trashProduct, updateProduct } from './products';
import { writeVariant } from './variants';

/**
 * The Sell publishing API's product: one of our products with a single variant whose
 * DIGITAL_DOWNLOAD deliverable is the current release's files.
 */
export const SELL_PRODUCT_TYPES = ['DIGITAL_DOWNLOAD', 'SUBSCRIPTION'] as const;
export type SellProductType = (typeof SELL_PRODUCT_TYPES)[number];

export interface SellProductInput {
  externalId?: string | null;
  name?: string;
  description?: string;
  slug?: string;
  priceCents?: number;
  currency?: string;
  productType?: SellProductType;
  billingInterval?: BillingInterval | null;
}

export type SellProductRow = NonNullable<Awaited<ReturnType<typeof findByRef>>>;

/** `{ref}` is our id or the seller's externalId; our id wins when both could match. */
export async function findByRef(db: DbExecutor, storeId: number, ref: string) {
  const base = db.selectFrom('products').selectAll().where('store_id', '=', storeId);
  if (looksLikePublicId(ref)) {
    const byId = await base.where('public_id', '=', ref).executeTakeFirst();
    if (byId) return byId;
  }
  return base.where('external_id', '=', ref).executeTakeFirst();
}

export async function requireByRef(db: DbExecutor, storeId: number, ref: string) {
  const product = await findByRef(db, storeId, ref);
  if (!product) throw new CatalogNotFoundError('Product');
  return product;
}

export interface SellProductListQuery {
  status?: 'DRAFT' | 'PUBLISHED' | 'ARCHIVED';
  externalId?: string;
  /** The id of the last product of the page before. */
  cursor?: string;
  limit: number;
}

/**
 * One page of the Sell API's cursor list: the store's products (archived ones only when asked
 * by status), after the cursor's product, by id.
 */
export async function listSellProducts(db: DbExecutor, storeId: number, query: SellProductListQuery) {
  let base = db.selectFrom('products').select(['id', 'public_id']).where('store_id', '=', storeId);
  base = query.status ? base.where('status', '=', query.status) : base.where('status', '!=', 'ARCHIVED');
  if (query.externalId) base = base.where('external_id', '=', query.externalId);
  if (query.cursor) {
    const after = await db
      .selectFrom('products')
      .select('id')
      .where('store_id', '=', storeId)
      .where('public_id', '=', query.cursor)
      .executeTakeFirst();
    // An unknown cursor is past the end: an empty page.
    base = base.where('id', '>', after?.id ?? sql.lit(2 ** 31 - 1));
  }
  const rows = await base
    .orderBy('id')
    .limit(query.limit + 1)
    .execute();
  const page = rows.slice(0, query.limit);
  const hasMore = rows.length > query.limit;
  return { ids: page.map((r) => r.id), nextCursor: hasMore ? page[page.length - 1]!.public_id : null, hasMore };
}

/** Test-mode keys work in a sandbox: they never change what live customers can buy. */
export function assertTestModeMayChange(actor: CatalogActor, product: { status: string }): void {
  if (!actor.livemode && product.status !== 'DRAFT') {
    throw new LivemodeForbiddenError('Test-mode keys can only change DRAFT products; use a live key');
  }
}

async function variantOf(db: DbExecutor, productId: number) {
  return db
    .selectFrom('product_variants')
    .selectAll()
    .where('product_id', '=', productId)
    .where('deleted_at', 'is', null)
    .orderBy('order')
    .orderBy('id')
    .executeTakeFirst();
}

function variantFields(input: SellProductInput, productType: SellProductType, billingInterval: BillingInterval | null) {
  return {
    priceCents: input.priceCents,
    currency: input.currency,
    // A subscription bills once it has an interval; until then publish refuses it.
    pricingType: productType === 'SUBSCRIPTION' && billingInterval ? ('SUBSCRIPTION' as const) : ('SINGLE_PAYMENT' as const),
    frequency: productType === 'SUBSCRIPTION' && billingInterval ? { value: 1, interval: billingInterval } : null,
    deliverable:
      productType === 'DIGITAL_DOWNLOAD'
        ? { types: ['DOWNLOADABLE' as const], fromCurrentRelease: true }
        : { types: ['MANUAL' as const], comment: 'Thank you for subscribing.' },
  };
}

/** Create, or update when the externalId is known (idempotent upsert). */
export async function upsertSellProduct(
  trx: DbExecutor,
  actor: CatalogActor,
  input: SellProductInput,
): Promise<{ id: number; created: boolean }> {
  const existing = input.externalId
    ? await findByRef(trx, actor.storeId, input.externalId).then((p) => (p?.external_id === input.externalId ? p : undefined))
    : undefined;
  if (existing) {
    await patchSellProduct(trx, actor, existing, input);
    return { id: existing.id, created: false };
  }
  if (!input.name) throw new CatalogRuleError('missing_field', 'name is required to create a product', 'name');
  const productType = input.productType ?? 'DIGITAL_DOWNLOAD';
  const billingInterval = input.billingInterval ?? null;
  const id = await createProduct(trx, actor, {
    title: input.name,
    description: input.description,
    slug: input.slug,
    externalId: input.externalId ?? null,
    status: 'DRAFT',
    productType,
    billingInterval,
  });
  await writeVariant(
    trx,
    actor,
    { productId: id },
    {
      title: 'Default',
      paymentMethods: ['STRIPE'],
      ...variantFields({ ...input, priceCents: input.priceCents ?? 0, currency: input.currency ?? 'USD' }, productType, billingInterval),
    },
  );
  return { id, created: true };
}

/** Partial update: only the fields sent are written. */
export async function patchSellProduct(
  trx: DbExecutor,
  actor: CatalogActor,
  product: SellProductRow,
  input: SellProductInput,
): Promise<void> {
  assertTestModeMayChange(actor, product);
  await updateProduct(trx, actor, product.id, {
    title: input.name,
    description: input.description,
    slug: input.slug,
    externalId: input.externalId,
    productType: input.productType,
    billingInterval: input.billingInterval,
  });
  const productType = (input.productType ?? product.product_type ?? 'DIGITAL_DOWNLOAD') as SellProductType;
  const billingInterval =
    input.billingInterval !== undefined ? input.billingInterval : (product.billing_interval as BillingInterval | null);
  const variant = await variantOf(trx, product.id);
  const typeChanged = input.productType !== undefined || input.billingInterval !== undefined;
  if (variant && (input.priceCents !== undefined || input.currency !== undefined || typeChanged)) {
    const fields = variantFields(input, productType, billingInterval);
    await writeVariant(
      trx,
      actor,
      { productId: product.id, variantId: variant.id },
      typeChanged ? fields : { priceCents: fields.priceCents, currency: fields.currency },
    );
  }
}

export async function currentReleaseFileCount(db: DbExecutor, productId: number): Promise<number> {
  const row = await db
    .selectFrom('releases')
    .innerJoin('release_files', 'release_files.release_id', 'releases.id')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('releases.product_id', '=', productId)
    .where('releases.is_current', '=', true)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Publishing gates, each a clear 4xx: price, a current release with a file, a billing interval. */
export async function publishSellProduct(trx: DbExecutor, actor: CatalogActor, product: SellProductRow): Promise<void> {
  if (!actor.livemode) throw new LivemodeForbiddenError('Test-mode keys can never publish; products they create stay DRAFT');
  if (product.status === 'ARCHIVED') throw new CatalogConflictError('product_archived', 'An archived product cannot be published');
  const variant = await variantOf(trx, product.id);
  if (!variant || variant.price_cents <= 0) throw new CatalogRuleError('invalid_price', 'Publishing needs priceCents > 0', 'priceCents');
  if (product.product_type === 'SUBSCRIPTION' && !product.billing_interval) {
    throw new CatalogRuleError('missing_field', 'Subscription products require a billingInterval', 'billingInterval');
  }
  if (product.product_type !== 'SUBSCRIPTION' && (await currentReleaseFileCount(trx, product.id)) === 0) {
    throw new CatalogRuleError('missing_release', 'DIGITAL_DOWNLOAD products need a current release with at least one file', 'releases');
  }
  if (product.status !== 'PUBLISHED') await updateProduct(trx, actor, product.id, { status: 'PUBLISHED' });
}

export async function archiveSellProduct(trx: DbExecutor, actor: CatalogActor, product: SellProductRow): Promise<void> {
  assertTestModeMayChange(actor, product);
  await trashProduct(trx, actor, product.id);
}
