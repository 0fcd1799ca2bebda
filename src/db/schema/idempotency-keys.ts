import type { ColumnType, Generated } from 'kysely';

/** One Idempotency-Key per API key: the request it was first used with, and the answer given. */
export interface IdempotencyKeysTable {
  api_key_id: number;
  key: string;
  /** SHA-256 of method, path and body: the same key with another request is refused. */
  fingerprint: string;
  /** Null while the first request is still being answered. */
  status: number | null;
  response: ColumnType<unknown, string | null, string | null> | null;
  locked_at: Generated<Date>;
  created_at: Generated<Date>;
}
