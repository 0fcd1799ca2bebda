import { sql } from 'kysely';
import { inIdOrder } from '../db/in-id-order';
import type { Db, DbExecutor } from '../db/schema';
import { type TrashedFilter, trashedWanted } from '../domain/trashed';

/** A product is a draft (SellApp) until it has a variant, or while the Sell API keeps it DRAFT. */
const isDraft = sql<boolean>`(products.status = 'DRAFT' or not exists (
  select 1 from product_variants v where v.product_id = products.id and v.deleted_at is null))`;

/** Drafts are left out of a list unless asked for (with them, or only them). */
export interface DraftFilter {
  with_drafts?: boolean;
  only_drafts?: boolean;
}

/** A store's products (not trashed), drafts as the filter says; nothing selected yet. */
export function storeProducts(db: Db, storeId: number, drafts: DraftFilter) {
  const from = db.selectFrom('products').where('store_id', '=', storeId).where('deleted_at', 'is', null);
  if (drafts.only_drafts) return from.where(isDraft);
  return drafts.with_drafts ? from : from.where(sql<boolean>`not ${isDraft}`);
}

/** A store's products, trashed ones left out unless asked for (with them, or only them); nothing selected yet. */
export function storeProductsWithTrash(db: Db, storeId: number, trashed: TrashedFilter) {
  const from = db.selectFrom('products').where('store_id', '=', storeId);
  const wanted = trashedWanted(trashed);
  return wanted === 'all' ? from : from.where('deleted_at', wanted === 'trashed' ? 'is not' : 'is', null);
}

export async function isDraftProduct(db: Db, productId: number): Promise<boolean> {
  const row = await db.selectFrom('products').select(isDraft.as('draft')).where('id', '=', productId).executeTakeFirstOrThrow();
  return row.draft;
}

/** The store's products of these ids (trashed ones too), in the order of the ids. */
export async function productsByIds(db: DbExecutor, storeId: number, ids: number[]) {
  return inIdOrder(ids, await db.selectFrom('products').selectAll().where('store_id', '=', storeId).where('id', 'in', ids).execute());
}
