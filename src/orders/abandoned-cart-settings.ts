import { ABANDONED_CART_OFF, type AbandonedCartDraft, type AbandonedCartSettings, checkAbandonedCart } from '../domain/abandoned-cart';
import type { DbExecutor } from '../db/schema';

/** The store's abandoned-checkout reminder settings (off until the seller saves some). */
export async function abandonedCartSettings(db: DbExecutor, storeId: number): Promise<AbandonedCartSettings> {
  const row = await db.selectFrom('stores').select('abandoned_cart').where('id', '=', storeId).executeTakeFirstOrThrow();
  return row.abandoned_cart ?? ABANDONED_CART_OFF;
}

/** A seller's settings were refused: the problems by field (the API's 422 `errors`). */
export class AbandonedCartSettingsError extends Error {
  constructor(readonly problems: Record<string, string[]>) {
    super(`The abandoned cart settings are invalid: ${Object.values(problems).flat().join('; ')}`);
  }
}

/**
 * Saves settings after the seed's rules (src/domain/abandoned-cart.ts) and, for a coupon
 * incentive, that the coupon is one of this store's. `change` names only what changes (PATCH);
 * the rest is the store's current settings (PUT sends them all).
 */
export async function saveAbandonedCartSettings(
  db: DbExecutor,
  storeId: number,
  change: Partial<AbandonedCartDraft>,
): Promise<AbandonedCartSettings> {
  const draft: AbandonedCartDraft = { ...(await abandonedCartSettings(db, storeId)), ...change };
  const checked = checkAbandonedCart(draft);
  if ('problems' in checked) throw new AbandonedCartSettingsError(checked.problems);
  const { settings } = checked;
  if (settings.coupon_id !== null) {
    const coupon = await db
      .selectFrom('coupons')
      .select('id')
      .where('id', '=', settings.coupon_id)
      .where('store_id', '=', storeId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!coupon) throw new AbandonedCartSettingsError({ 'abandoned_cart.coupon_id': ['no such coupon in this store'] });
  }
  await db
    .updateTable('stores')
    .set({ abandoned_cart: JSON.stringify(settings), updated_at: new Date() })
    .where('id', '=', storeId)
    .execute();
  return settings;
}
