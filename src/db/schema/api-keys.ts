import type { ColumnType, Generated } from 'kysely';

export type ApiKeyMode = 'live' | 'test';

/** Keys are stored only as a SHA-256 hash; `prefix` is the part safe to show again. */
export interface ApiKeysTable {
  id: Generated<number>;
  account_id: number;
  /** null: the key sees every store of its account (X-STORE selects one). */
  store_id: number | null;
  mode: ApiKeyMode;
  name: string | null;
  prefix: string;
  key_hash: string;
  scopes: ColumnType<string[], string[], string[]>;
  rate_limit_per_minute: number | null;
  rate_limit_burst: number | null;
  created_at: Generated<Date>;
  last_used_at: Date | null;
  revoked_at: Date | null;
}
