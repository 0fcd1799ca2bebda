import type { DbExecutor } from '../db/schema';
import { newPublicId } from './new-public-id';
import { slugify } from '../domain/slug';
import { recordEvent } from '../events/record';
import type { CatalogActor } from './actor';
import { normaliseAdditionalInformation } from './additional-information';
import { CatalogConflictError, CatalogNotFoundError } from './errors';
import { checkSnapshot } from './snapshot';

export interface ProductInput {
  title?: string;
  description?: string;
  visibility?: string;
  slug?: string;
  type?: 'product' | 'bundle';
  sectionId?: number | null;
  order?: number;
  deliveryText?: string | null;
  additionalInformation?: Record<string, unknown>[];
  otherSettings?: Record<string, unknown>;
  warranty?: Record<string, unknown> | null;
  images?: unknown[];
  externalId?: string | null;
  status?: 'DRAFT' | 'PUBLISHED' | 'ARCHIVED';
  productType?: string | null;
  billingInterval?: string | null;
  /** The `updated_at` the client last read: a later change refuses the write (see snapshot.ts). */
  expectedUpdatedAt?: string;
}

export type ProductRow = Awaited<ReturnType<typeof findProduct>>;

export async function findProduct(db: DbExecutor, storeId: number, id: number, options: { withTrashed?: boolean } = {}) {
  let query = db.selectFrom('products').selectAll().where('store_id', '=', storeId).where('id', '=', id);
  if (!options.withTrashed) query = query.where('deleted_at', 'is', null);
  return query.executeTakeFirst();
}

export async function requireProduct(db: DbExecutor, storeId: number, id: number, options: { withTrashed?: boolean } = {}) {
  const product = await findProduct(db, storeId, id, options);
  if (!product) throw new CatalogNotFoundError('Product');
  return product;
}

async function slugTaken(db: DbExecutor, storeId: number, slug: string, exceptId?: number): Promise<boolean> {
  let query = db.selectFrom('products').select('id').where('store_id', '=', storeId).where('slug', '=', slug);
  if (exceptId !== undefined) query = query.where('id', '!=', exceptId);
  return (await query.executeTakeFirst()) !== undefined;
}

/** A slug the seller chose must be free; a derived one gets -2, -3 … until it is. */
async function chooseSlug(db: DbExecutor, storeId: number, input: { slug?: string; title: string }, exceptId?: number): Promise<string> {
  if (input.slug !== undefined) {
    const slug = slugify(input.slug);
    if (await slugTaken(db, storeId, slug, exceptId))
      throw new CatalogConflictError('duplicate_slug', `Slug "${slug}" is already used by another product`, 'slug');
    return slug;
  }
  const base = slugify(input.title);
  for (let n = 1; ; n += 1) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    if (!(await slugTaken(db, storeId, candidate, exceptId))) return candidate;
  }
}

export async function createProduct(trx: DbExecutor, actor: CatalogActor, input: ProductInput & { title: string }): Promise<number> {
  if (input.externalId) {
    const clash = await trx
      .selectFrom('products')
      .select('id')
      .where('store_id', '=', actor.storeId)
      .where('external_id', '=', input.externalId)
      .executeTakeFirst();
    if (clash) throw new CatalogConflictError('duplicate_external_id', `externalId "${input.externalId}" is already used`, 'externalId');
  }
  const next = await trx
    .selectFrom('products')
    .select((eb) => eb.fn.coalesce(eb.fn.max('order'), eb.lit(0)).as('max'))
    .where('store_id', '=', actor.storeId)
    .executeTakeFirstOrThrow();
  const row = await trx
    .insertInto('products')
    .values({
      public_id: newPublicId(),
      store_id: actor.storeId,
      external_id: input.externalId ?? null,
      title: input.title,
      slug: await chooseSlug(trx, actor.storeId, { slug: input.slug, title: input.title }),
      description: input.description ?? '',
      visibility: input.visibility ?? 'PUBLIC',
      type: input.type ?? 'product',
      status: input.status ?? 'PUBLISHED',
      product_type: input.productType ?? null,
      billing_interval: input.billingInterval ?? null,
      images: JSON.stringify(input.images ?? []),
      order: input.order ?? Number(next.max) + 1,
      delivery_text: input.deliveryText ?? null,
      additional_information: JSON.stringify(normaliseAdditionalInformation(input.additionalInformation ?? [])),
      other_settings: JSON.stringify(input.otherSettings ?? {}),
      warranty: input.warranty === undefined || input.warranty === null ? null : JSON.stringify(input.warranty),
      section_id: input.sectionId ?? null,
      section_order: null,
      category_id: null,
      livemode: actor.livemode,
      published_at: input.status === 'PUBLISHED' ? new Date() : null,
      deleted_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await recordEvent(trx, { storeId: actor.storeId, livemode: actor.livemode, type: 'product.created', data: { id: row.id } });
  return row.id;
}

/** Partial update: only the fields present in `input` are written. */
export async function updateProduct(trx: DbExecutor, actor: CatalogActor, productId: number, input: ProductInput): Promise<void> {
  await checkSnapshot(trx, { table: 'products', id: productId, storeId: actor.storeId, resource: 'Product' }, input.expectedUpdatedAt);
  const product = await requireProduct(trx, actor.storeId, productId, { withTrashed: true });
  if (input.externalId && input.externalId !== product.external_id) {
    const clash = await trx
      .selectFrom('products')
      .select('id')
      .where('store_id', '=', actor.storeId)
      .where('external_id', '=', input.externalId)
      .where('id', '!=', productId)
      .executeTakeFirst();
    if (clash) throw new CatalogConflictError('duplicate_external_id', `externalId "${input.externalId}" is already used`, 'externalId');
  }
  const set: Record<string, unknown> = { updated_at: new Date() };
  if (input.title !== undefined) set.title = input.title;
  if (input.description !== undefined) set.description = input.description;
  if (input.visibility !== undefined) set.visibility = input.visibility;
  if (input.slug !== undefined) set.slug = await chooseSlug(trx, actor.storeId, { slug: input.slug, title: product.title }, productId);
  if (input.sectionId !== undefined) set.section_id = input.sectionId;
  if (input.order !== undefined) set.order = input.order;
  if (input.deliveryText !== undefined) set.delivery_text = input.deliveryText;
  if (input.additionalInformation !== undefined)
    set.additional_information = JSON.stringify(normaliseAdditionalInformation(input.additionalInformation));
  if (input.otherSettings !== undefined) set.other_settings = JSON.stringify({ ...product.other_settings, ...input.otherSettings });
  if (input.warranty !== undefined) set.warranty = input.warranty === null ? null : JSON.stringify(input.warranty);
  if (input.images !== undefined) set.images = JSON.stringify(input.images);
  if (input.externalId !== undefined) set.external_id = input.externalId;
  if (input.productType !== undefined) set.product_type = input.productType;
  if (input.billingInterval !== undefined) set.billing_interval = input.billingInterval;
  if (input.status !== undefined && input.status !== product.status) {
    set.status = input.status;
    if (input.status === 'PUBLISHED') set.published_at = new Date();
  }
  await trx.updateTable('products').set(set).where('id', '=', productId).execute();
  await recordEvent(trx, { storeId: actor.storeId, livemode: actor.livemode, type: 'product.updated', data: { id: productId } });
}

/**
 * Deletes are soft everywhere (past orders keep their products): the product leaves the
 * catalogue, is ARCHIVED for the Sell API, and product.trashed is recorded.
 */
export async function trashProduct(trx: DbExecutor, actor: CatalogActor, productId: number): Promise<void> {
  const product = await requireProduct(trx, actor.storeId, productId, { withTrashed: true });
  if (product.deleted_at) return;
  const now = new Date();
  await trx.updateTable('products').set({ deleted_at: now, status: 'ARCHIVED', updated_at: now }).where('id', '=', productId).execute();
  await recordEvent(trx, { storeId: actor.storeId, livemode: actor.livemode, type: 'product.trashed', data: { id: productId } });
}
