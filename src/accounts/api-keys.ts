import type { ApiKeyMode, DbExecutor } from '../db/schema';
import { displayPrefix } from '../domain/api-key-secret';
import { generateApiKey, hashApiKey, hashesEqual } from '../security/api-key-secret';
import type { Scope } from '../domain/scopes';

export interface IssuedKey {
  id: number;
  /** The whole key: returned once, at creation, and never stored. */
  key: string;
  prefix: string;
  mode: ApiKeyMode;
  scopes: Scope[];
  store_id: number | null;
}

export async function issueApiKey(
  db: DbExecutor,
  input: {
    accountId: number;
    storeId: number | null;
    mode: ApiKeyMode;
    scopes: Scope[];
    name?: string;
    rateLimitPerMinute?: number | null;
    rateLimitBurst?: number | null;
  },
): Promise<IssuedKey> {
  const key = generateApiKey(input.mode);
  const row = await db
    .insertInto('api_keys')
    .values({
      account_id: input.accountId,
      store_id: input.storeId,
      mode: input.mode,
      name: input.name ?? null,
      prefix: displayPrefix(key),
      key_hash: hashApiKey(key),
      scopes: input.scopes,
      rate_limit_per_minute: input.rateLimitPerMinute ?? null,
      rate_limit_burst: input.rateLimitBurst ?? null,
      last_used_at: null,
      revoked_at: null,
    })
    .returning(['id', 'prefix', 'mode', 'store_id'])
    .executeTakeFirstOrThrow();
  return { ...row, key, scopes: input.scopes };
}

/** Public view of a key: everything but its hash. */
export const API_KEY_COLUMNS = [
  'id',
  'account_id',
  'store_id',
  'mode',
  'name',
  'prefix',
  'scopes',
  'rate_limit_per_minute',
  'rate_limit_burst',
  'created_at',
  'last_used_at',
  'revoked_at',
] as const;

export async function listApiKeys(db: DbExecutor, filter: { accountId?: number; storeId?: number }) {
  let query = db.selectFrom('api_keys').select(API_KEY_COLUMNS).orderBy('id');
  if (filter.accountId !== undefined) query = query.where('account_id', '=', filter.accountId);
  if (filter.storeId !== undefined) query = query.where((eb) => eb.or([eb('store_id', '=', filter.storeId!), eb('store_id', 'is', null)]));
  return query.execute();
}

/** Revokes a key of the given account; returns false when there is no such key. */
export async function revokeApiKey(db: DbExecutor, input: { id: number; accountId?: number }): Promise<boolean> {
  let query = db.updateTable('api_keys').set({ revoked_at: new Date() }).where('id', '=', input.id).where('revoked_at', 'is', null);
  if (input.accountId !== undefined) query = query.where('account_id', '=', input.accountId);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export interface AuthenticatedKey {
  id: number;
  accountId: number;
  storeId: number | null;
  mode: ApiKeyMode;
  scopes: string[];
  rateLimitPerMinute: number | null;
  rateLimitBurst: number | null;
  lastUsedAt: Date | null;
  /** The store a store-bound key acts on, unless it was deleted; null for account-wide keys. */
  boundStore: { id: number; slug: string; rate_limit_per_minute: number | null; rate_limit_burst: number | null } | null;
}

/** Finds the live (non-revoked) key matching a presented secret. */
export async function authenticateApiKey(db: DbExecutor, presented: string): Promise<AuthenticatedKey | null> {
  const hash = hashApiKey(presented);
  // The bound store comes with the key: most requests need nothing else to know where they act.
  const row = await db
    .selectFrom('api_keys as k')
    .leftJoin('stores as s', (join) =>
      join.onRef('s.id', '=', 'k.store_id').onRef('s.account_id', '=', 'k.account_id').on('s.deleted_at', 'is', null),
    )
    .select([
      'k.id',
      'k.account_id',
      'k.store_id',
      'k.mode',
      'k.scopes',
      'k.key_hash',
      'k.rate_limit_per_minute',
      'k.rate_limit_burst',
      'k.revoked_at',
      'k.last_used_at',
      's.id as bound_store_id',
      's.slug as bound_store_slug',
      's.rate_limit_per_minute as bound_store_rate_limit_per_minute',
      's.rate_limit_burst as bound_store_rate_limit_burst',
    ])
    .where('k.key_hash', '=', hash)
    .executeTakeFirst();
  // The index lookup is on the hash; the final comparison is constant-time regardless.
  if (!row || row.revoked_at !== null || !hashesEqual(row.key_hash, hash)) return null;
  return {
    id: row.id,
    accountId: row.account_id,
    storeId: row.store_id,
    mode: row.mode,
    scopes: row.scopes,
    rateLimitPerMinute: row.rate_limit_per_minute,
    rateLimitBurst: row.rate_limit_burst,
    lastUsedAt: row.last_used_at,
    boundStore:
      row.bound_store_id === null
        ? null
        : {
            id: row.bound_store_id,
            slug: row.bound_store_slug!,
            rate_limit_per_minute: row.bound_store_rate_limit_per_minute,
            rate_limit_burst: row.bound_store_rate_limit_burst,
          },
  };
}

/** The keys that can act on a store: its own and the account-wide ones (revoked ones too); nothing selected yet. */
export function keysOfStore(db: DbExecutor, accountId: number, storeId: number) {
  return db
    .selectFrom('api_keys')
    .where('account_id', '=', accountId)
    .where((eb) => eb.or([eb('store_id', '=', storeId), eb('store_id', 'is', null)]));
}

/** One of the keys that can act on the store, as the public view shows it; undefined when there is none. */
export function findStoreKey(db: DbExecutor, accountId: number, storeId: number, id: number) {
  return keysOfStore(db, accountId, storeId).select(API_KEY_COLUMNS).where('id', '=', id).executeTakeFirst();
}

/** Stamps a key's last use (bookkeeping for the seller's key list). */
export async function markApiKeyUsed(db: DbExecutor, id: number): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: new Date() }).where('id', '=', id).execute();
}
