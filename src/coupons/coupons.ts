import { sql } from 'kysely';
import { laravelTime } from '../catalog/views/timestamps';
import { CatalogNotFoundError, CatalogRuleError } from '../catalog/errors';
import type { DbExecutor } from '../db/schema';
import type { CouponType } from '../domain/coupons';
import { type TrashedFilter, trashedWanted } from '../domain/trashed';

/** What the API sends, in its units: percent, or major currency units ("dollars"). */
export interface CouponInput {
  code?: string;
  type?: CouponType;
  discount?: number;
  store_wide?: boolean;
  products?: number[];
  limit?: number | null;
  expires_at?: string | null;
  minimum_amount?: number | null;
  maximum_discount?: number | null;
}

const toCents = (major: number) => Math.round(major * 100);
/** 80 → "80", 12.5 → "12.5", 5 dollars → "5": SellApp returns discounts as strings. */
const decimal = (hundredths: number) => String(hundredths / 100);

type CouponRow = Awaited<ReturnType<typeof loadCoupon>>;

async function loadCoupon(db: DbExecutor, storeId: number, id: number, options: { withTrashed?: boolean; lock?: boolean } = {}) {
  let query = db.selectFrom('coupons').selectAll().where('store_id', '=', storeId).where('id', '=', id);
  if (!options.withTrashed) query = query.where('deleted_at', 'is', null);
  if (options.lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw new CatalogNotFoundError('Coupon');
  return row;
}

export function couponView(row: CouponRow) {
  return {
    id: row.id,
    code: row.code,
    type: row.type,
    discount: decimal(row.discount),
    limit: row.limit,
    uses: row.uses,
    store_wide: row.store_wide,
    products: row.store_wide ? [] : row.products,
    minimum_amount: row.minimum_amount_cents === null ? null : decimal(row.minimum_amount_cents),
    maximum_discount: row.maximum_discount_cents === null ? null : decimal(row.maximum_discount_cents),
    // The official model's name for the cap; `maximum_discount` stays for the clients that read it.
    maximum_discount_amount: row.maximum_discount_cents === null ? null : decimal(row.maximum_discount_cents),
    // Coupons apply to whole products: none is limited to single variants.
    product_variants: [] as number[],
    expires_at: laravelTime(row.expires_at),
    created_at: laravelTime(row.created_at),
    updated_at: laravelTime(row.updated_at),
    store_id: row.store_id,
    /** Set for an affiliate's coupon (double-sided incentive). */
    affiliate_id: row.affiliate_id,
    deleted_at: laravelTime(row.deleted_at),
  };
}

/** Checks the merged coupon (what is stored plus the change) and returns its columns. */
async function columnsFor(
  db: DbExecutor,
  storeId: number,
  merged: Required<Pick<CouponInput, 'code' | 'type' | 'discount' | 'store_wide'>> & CouponInput,
  param = '',
) {
  const p = (field: string) => `${param}${field}`;
  const code = merged.code.trim();
  if (!/^[\w-]{1,64}$/.test(code))
    throw new CatalogRuleError('invalid_field', 'A coupon code is 1-64 letters, digits, dashes or underscores', p('code'));
  // Stored in hundredths: what rounds to 0 (0.001) is no discount, however positive it was sent.
  const discount = toCents(merged.discount);
  if (merged.type === 'PERCENTAGE' && (discount <= 0 || merged.discount > 100)) {
    throw new CatalogRuleError('invalid_field', 'A percentage discount is at least 0.01 and at most 100', p('discount'));
  }
  if (merged.type === 'AMOUNT' && discount <= 0)
    throw new CatalogRuleError('invalid_field', 'An amount discount is at least 0.01', p('discount'));
  const products = merged.products ?? [];
  if (!merged.store_wide) {
    if (products.length === 0)
      throw new CatalogRuleError('missing_field', 'A coupon that is not store-wide names at least one product', p('products'));
    const found = await db
      .selectFrom('products')
      .select('id')
      .where('store_id', '=', storeId)
      .where('id', 'in', products)
      .where('deleted_at', 'is', null)
      .execute();
    const missing = products.filter((id) => !found.some((f) => f.id === id));
    if (missing.length > 0) throw new CatalogRuleError('invalid_field', `No product ${missing.join(', ')} in this store`, p('products'));
  }
  return {
    code,
    type: merged.type,
    discount,
    store_wide: merged.store_wide,
    products: sql<number[]>`${sql.val([...new Set(products)])}::integer[]`,
    limit: merged.limit ?? null,
    expires_at: merged.expires_at ? new Date(merged.expires_at) : null,
    minimum_amount_cents: merged.minimum_amount === undefined || merged.minimum_amount === null ? null : toCents(merged.minimum_amount),
    maximum_discount_cents:
      merged.maximum_discount === undefined || merged.maximum_discount === null ? null : toCents(merged.maximum_discount),
  };
}

async function assertCodeFree(db: DbExecutor, storeId: number, code: string, exceptId: number | null, param: string) {
  let query = db
    .selectFrom('coupons')
    .select('id')
    .where('store_id', '=', storeId)
    .where(sql`lower(code)`, '=', code.trim().toLowerCase())
    .where('deleted_at', 'is', null);
  if (exceptId !== null) query = query.where('id', '<>', exceptId);
  if (await query.executeTakeFirst())
    throw new CatalogRuleError('code_taken', `The code "${code}" is already used by another coupon`, param);
}

export async function createCoupon(
  db: DbExecutor,
  storeId: number,
  input: CouponInput & Required<Pick<CouponInput, 'code' | 'type' | 'discount' | 'store_wide'>>,
  param = '',
) {
  const columns = await columnsFor(db, storeId, input, param);
  await assertCodeFree(db, storeId, columns.code, null, `${param}code`);
  const row = await db
    .insertInto('coupons')
    .values({ store_id: storeId, ...columns, deleted_at: null })
    .returningAll()
    .executeTakeFirstOrThrow();
  return row;
}

export async function updateCoupon(db: DbExecutor, storeId: number, id: number, change: CouponInput, param = '') {
  const current = await loadCoupon(db, storeId, id, { lock: true });
  const merged = {
    code: change.code ?? current.code,
    type: change.type ?? current.type,
    discount: change.discount ?? current.discount / 100,
    store_wide: change.store_wide ?? current.store_wide,
    products: change.products ?? current.products,
    limit: change.limit === undefined ? current.limit : change.limit,
    expires_at: change.expires_at === undefined ? current.expires_at?.toISOString() : change.expires_at,
    minimum_amount:
      change.minimum_amount === undefined
        ? current.minimum_amount_cents === null
          ? null
          : current.minimum_amount_cents / 100
        : change.minimum_amount,
    maximum_discount:
      change.maximum_discount === undefined
        ? current.maximum_discount_cents === null
          ? null
          : current.maximum_discount_cents / 100
        : change.maximum_discount,
  };
  const columns = await columnsFor(db, storeId, merged, param);
  await assertCodeFree(db, storeId, columns.code, id, `${param}code`);
  return db
    .updateTable('coupons')
    .set({ ...columns, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Soft delete: invoices that used the coupon keep pointing at it; its code is free again. */
export async function deleteCoupon(db: DbExecutor, storeId: number, id: number) {
  await loadCoupon(db, storeId, id, { lock: true });
  return db
    .updateTable('coupons')
    .set({ deleted_at: new Date(), updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A store's coupons, deleted ones as the filter says; nothing selected yet. */
export function storeCoupons(db: DbExecutor, storeId: number, trashed: TrashedFilter) {
  const coupons = db.selectFrom('coupons').where('store_id', '=', storeId);
  const wanted = trashedWanted(trashed);
  return wanted === 'all' ? coupons : coupons.where('deleted_at', wanted === 'trashed' ? 'is not' : 'is', null);
}

export { loadCoupon };
