import type { Db } from '../db/schema';

/** A store's license keys; nothing selected yet. */
export function storeLicenseKeys(db: Db, storeId: number) {
  return db.selectFrom('license_keys').where('store_id', '=', storeId);
}

/** A store's activations, of every key or of one; nothing selected yet. */
export function storeInstances(db: Db, storeId: number, licenseKeyId?: number) {
  const from = db.selectFrom('license_key_instances').where('store_id', '=', storeId);
  return licenseKeyId === undefined ? from : from.where('license_key_id', '=', licenseKeyId);
}

export function findInstance(db: Db, storeId: number, licenseKeyId: number, id: string) {
  return storeInstances(db, storeId, licenseKeyId).selectAll().where('id', '=', id).executeTakeFirst();
}

/** How many activations a key has now. */
export async function instanceCount(db: Db, licenseKeyId: number): Promise<number> {
  const { count } = await db
    .selectFrom('license_key_instances')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('license_key_id', '=', licenseKeyId)
    .executeTakeFirstOrThrow();
  return Number(count);
}
