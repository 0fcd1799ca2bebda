import type { Db, DbExecutor } from '../db/schema';

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

/** A product's live variants; nothing selected yet. */
export function productVariants(db: Db, storeId: number, productId: number) {
  return db
    .selectFrom('product_variants')
    .where('product_id', '=', productId)
    .where('store_id', '=', storeId)
    .where('deleted_at', 'is', null);
}

/** A product's variants of these ids (trashed ones too), in no order. */
export function variantsByIds(db: DbExecutor, productId: number, ids: number[]) {
  return db.selectFrom('product_variants').selectAll().where('product_id', '=', productId).where('id', 'in', ids).execute();
}

/** A variant's serials, sold and unsold, or of one status; nothing selected yet. */
export function variantSerials(db: Db, variantId: number, status?: 'AVAILABLE' | 'SOLD') {
  const base = db.selectFrom('variant_serials').where('variant_id', '=', variantId);
  return status ? base.where('status', '=', status) : base;
}
