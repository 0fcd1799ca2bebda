import type { Db } from '../db/schema';

/** How long a store's grants wait for the customer (join, link) before they need manual action. */
export async function communityWaitHours(db: Db, storeId: number): Promise<number> {
  const store = await db.selectFrom('stores').select('community_wait_hours').where('id', '=', storeId).executeTakeFirstOrThrow();
  return store.community_wait_hours;
}

export async function setCommunityWaitHours(db: Db, storeId: number, hours: number): Promise<void> {
  await db.updateTable('stores').set({ community_wait_hours: hours, updated_at: new Date() }).where('id', '=', storeId).execute();
}
