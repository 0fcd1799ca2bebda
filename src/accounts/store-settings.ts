import type { Db, DbExecutor } from '../db/schema';
import type { StoreVisibility } from './stores';

export type DarkMode = 'light' | 'dark' | 'system';

/** The general settings a seller may change: what the storefront is called and shows, and in which zone and currency it counts. */
export interface GeneralSettings {
  name: string;
  visibility: StoreVisibility;
  timezone: string;
  currency: string;
  dark_mode: DarkMode | null;
}

const COLUMNS = ['id', 'slug', 'name', 'visibility', 'timezone', 'currency', 'dark_mode', 'deleted_at', 'abandoned_cart'] as const;

export function loadStoreSettings(db: DbExecutor, storeId: number) {
  return db.selectFrom('stores').select(COLUMNS).where('id', '=', storeId).executeTakeFirstOrThrow();
}

export type StoreSettingsRow = Awaited<ReturnType<typeof loadStoreSettings>>;

/** Writes the fields given; the previous time zone is returned so the caller can move the payout schedule. */
export async function updateGeneralSettings(db: Db, storeId: number, change: Partial<GeneralSettings>) {
  return db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('stores').select('timezone').where('id', '=', storeId).forUpdate().executeTakeFirstOrThrow();
    if (Object.keys(change).length > 0) {
      await trx
        .updateTable('stores')
        .set({ ...change, updated_at: new Date() })
        .where('id', '=', storeId)
        .execute();
    }
    return { previousTimeZone: before.timezone, row: await loadStoreSettings(trx, storeId) };
  });
}
