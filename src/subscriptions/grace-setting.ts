import type { Db } from '../db/schema';

/** How long an unpaid subscription keeps access after its period ends, in seconds. */
export async function subscriptionGraceSeconds(db: Db, storeId: number): Promise<number> {
  const store = await db.selectFrom('stores').select('subscription_grace_seconds').where('id', '=', storeId).executeTakeFirstOrThrow();
  return store.subscription_grace_seconds;
}

export async function setSubscriptionGraceSeconds(db: Db, storeId: number, seconds: number): Promise<void> {
  await db.updateTable('stores').set({ subscription_grace_seconds: seconds, updated_at: new Date() }).where('id', '=', storeId).execute();
}
