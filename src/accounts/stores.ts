import type { DbExecutor } from '../db/schema';
import { SCOPES, type Scope } from '../domain/scopes';
import { issueApiKey, type IssuedKey } from './api-keys';

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export class StoreSlugTakenError extends Error {
  constructor(readonly slug: string) {
    super(`A store with slug "${slug}" already exists`);
  }
}

export interface CreatedStore {
  store: { id: number; slug: string; name: string; account_id: number };
  keys: { live: IssuedKey; test: IssuedKey };
}

/**
 * Creates a store (and, unless one is named, an account to own it) with a live and a test
 * key carrying every scope. The caller runs this inside a transaction.
 */
export async function createStore(
  trx: DbExecutor,
  input: { slug: string; name?: string; accountId?: number; scopes?: Scope[] },
): Promise<CreatedStore> {
  const accountId =
    input.accountId ??
    (
      await trx
        .insertInto('accounts')
        .values({ name: input.name ?? input.slug })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;

  const store = await addStore(trx, { accountId, slug: input.slug, name: input.name ?? input.slug });

  const scopes = input.scopes ?? [...SCOPES];
  const live = await issueApiKey(trx, { accountId, storeId: store.id, mode: 'live', scopes, name: 'default live key' });
  const test = await issueApiKey(trx, { accountId, storeId: store.id, mode: 'test', scopes, name: 'default test key' });
  return { store, keys: { live, test } };
}

export type StoreVisibility = 'PUBLIC' | 'HIDDEN' | 'PRIVATE';

/** A store row of an account, nothing else (no keys: the account's own key acts on it through X-STORE). */
export async function addStore(trx: DbExecutor, input: { accountId: number; slug: string; name: string; visibility?: StoreVisibility }) {
  const store = await trx
    .insertInto('stores')
    .values({
      account_id: input.accountId,
      slug: input.slug,
      name: input.name,
      visibility: input.visibility ?? 'PUBLIC',
      rate_limit_burst: null,
      rate_limit_per_minute: null,
      deleted_at: null,
    })
    // Slugs are unique across deleted stores too; a concurrent taker loses here, not with a 500.
    .onConflict((oc) => oc.column('slug').doNothing())
    .returning(['id', 'slug', 'name', 'account_id', 'visibility'])
    .executeTakeFirst();
  if (!store) throw new StoreSlugTakenError(input.slug);
  return store;
}

export async function findStoreBySlug(db: DbExecutor, slug: string) {
  return db.selectFrom('stores').selectAll().where('slug', '=', slug).where('deleted_at', 'is', null).executeTakeFirst();
}

export async function listStores(db: DbExecutor) {
  return db
    .selectFrom('stores')
    .select(['id', 'slug', 'name', 'account_id', 'timezone', 'currency', 'created_at'])
    .where('deleted_at', 'is', null)
    .orderBy('id')
    .execute();
}

/**
 * The stores a key may act on: the one it is bound to, or (storeId null) all of its account's;
 * nothing selected yet.
 */
export function storesOfKey(db: DbExecutor, key: { accountId: number; storeId: number | null }) {
  const stores = db.selectFrom('stores').where('account_id', '=', key.accountId).where('deleted_at', 'is', null);
  return key.storeId === null ? stores : stores.where('id', '=', key.storeId);
}

/** The store a request acts on: the one named by slug, else the key's first; undefined when it may act on none. */
export function storeForKey(db: DbExecutor, key: { accountId: number; storeId: number | null }, slug?: string) {
  const stores = storesOfKey(db, key).select(['id', 'slug', 'rate_limit_per_minute', 'rate_limit_burst']);
  return (slug ? stores.where('slug', '=', slug) : stores).orderBy('id').limit(1).executeTakeFirst();
}

export function findAccount(db: DbExecutor, id: number) {
  return db.selectFrom('accounts').select(['id', 'name']).where('id', '=', id).executeTakeFirstOrThrow();
}

/** The stores a key may act on, as the account routes show them, by id. */
export function listStoresOfKey(db: DbExecutor, key: { accountId: number; storeId: number | null }) {
  return storesOfKey(db, key).select(['id', 'slug', 'name']).orderBy('id').execute();
}

/** One store a key may act on, named by id or slug; undefined when it reaches none of that name. */
export function findStoreOfKey(db: DbExecutor, key: { accountId: number; storeId: number | null }, ref: string) {
  // Past Postgres' integer it can only be a slug: comparing it with the id column would be a database error.
  const byId = /^\d{1,10}$/.test(ref) && Number(ref) <= 2_147_483_647 ? Number(ref) : null;
  return storesOfKey(db, key)
    .select(['id', 'slug', 'name'])
    .where((eb) => (byId === null ? eb('slug', '=', ref) : eb.or([eb('id', '=', byId), eb('slug', '=', ref)])))
    .executeTakeFirst();
}
