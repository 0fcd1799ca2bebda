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
  const taken = await trx.selectFrom('stores').select('id').where('slug', '=', input.slug).executeTakeFirst();
  if (taken) throw new StoreSlugTakenError(input.slug);

  const accountId =
    input.accountId ??
    (
      await trx
        .insertInto('accounts')
        .values({ name: input.name ?? input.slug })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;

  const store = await trx
    .insertInto('stores')
    .values({
      account_id: accountId,
      slug: input.slug,
      name: input.name ?? input.slug,
      rate_limit_burst: null,
      rate_limit_per_minute: null,
      deleted_at: null,
    })
    .returning(['id', 'slug', 'name', 'account_id'])
    .executeTakeFirstOrThrow();

  const scopes = input.scopes ?? [...SCOPES];
  const live = await issueApiKey(trx, { accountId, storeId: store.id, mode: 'live', scopes, name: 'default live key' });
  const test = await issueApiKey(trx, { accountId, storeId: store.id, mode: 'test', scopes, name: 'default test key' });
  return { store, keys: { live, test } };
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
