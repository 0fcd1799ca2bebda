import { sql } from 'kysely';
import { inIdOrder } from '../db/in-id-order';
import type { Db, DbExecutor } from '../db/schema';
import type { DraftFilter } from './product-list';

/** A live (not trashed) variant of the store's product; undefined when there is none. */
export function findLiveVariant(db: DbExecutor, storeId: number, productId: number, variantId: number) {
  return db
    .selectFrom('product_variants')
    .select('id')
    .where('id', '=', variantId)
    .where('product_id', '=', productId)
    .where('store_id', '=', storeId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

/**
 * A product's live variants; nothing selected yet. Variants have no draft state of their own,
 * so a list of only drafts holds none of them.
 */
export function productVariants(db: Db, storeId: number, productId: number, drafts: DraftFilter = {}) {
  const from = db
    .selectFrom('product_variants')
    .where('product_id', '=', productId)
    .where('store_id', '=', storeId)
    .where('deleted_at', 'is', null);
  return drafts.only_drafts ? from.where(sql<boolean>`false`) : from;
}

/** The first of a product's live variants (by the seller's order); undefined while it has none. */
export async function firstVariantId(db: DbExecutor, productId: number): Promise<number | undefined> {
  const row = await db
    .selectFrom('product_variants')
    .select('id')
    .where('product_id', '=', productId)
    .where('deleted_at', 'is', null)
    .orderBy('order')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  return row?.id;
}

/** A product's variants of these ids (trashed ones too), in the order of the ids. */
export async function variantsByIds(db: DbExecutor, productId: number, ids: number[]) {
  return inIdOrder(
    ids,
    await db.selectFrom('product_variants').selectAll().where('product_id', '=', productId).where('id', 'in', ids).execute(),
  );
}

/** A variant's serials, sold and unsold, or of one status; nothing selected yet. */
export function variantSerials(db: Db, variantId: number, status?: 'AVAILABLE' | 'SOLD') {
  const base = db.selectFrom('variant_serials').where('variant_id', '=', variantId);
  return status ? base.where('status', '=', status) : base;
}
