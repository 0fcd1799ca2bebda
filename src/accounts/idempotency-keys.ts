import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';

/**
 * The stored claims and first answers behind the API's `Idempotency-Key` header, one per API key
 * and key string. The middleware in src/api decides when each step applies; these are its steps.
 */
interface Claim {
  apiKeyId: number;
  key: string;
}

/** Claims an unused key for this request; undefined when the key was used before. */
export function claimIdempotencyKey(db: DbExecutor, claim: Claim, fingerprint: string) {
  return db
    .insertInto('idempotency_keys')
    .values({ api_key_id: claim.apiKeyId, key: claim.key, fingerprint, status: null, response: null })
    .onConflict((oc) => oc.columns(['api_key_id', 'key']).doNothing())
    .returning(['key', 'created_at'])
    .executeTakeFirst();
}

export function findIdempotencyKey(db: DbExecutor, claim: Claim) {
  return db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('api_key_id', '=', claim.apiKeyId)
    .where('key', '=', claim.key)
    .executeTakeFirst();
}

/** Starts a key afresh once its first use is older than `expiredBefore`; undefined when another request did so first. */
export function reclaimExpiredIdempotencyKey(db: DbExecutor, claim: Claim, fingerprint: string, expiredBefore: Date) {
  return db
    .insertInto('idempotency_keys')
    .values({ api_key_id: claim.apiKeyId, key: claim.key, fingerprint, status: null, response: null })
    .onConflict((oc) =>
      oc
        .columns(['api_key_id', 'key'])
        .doUpdateSet({ fingerprint, status: null, response: null, locked_at: sql`now()`, created_at: sql`now()` })
        .where('idempotency_keys.created_at', '<', expiredBefore),
    )
    .returning(['key', 'created_at'])
    .executeTakeFirst();
}

/**
 * Takes over an unanswered claim not renewed for `abandonedAfterMs` (its process died);
 * compared in the database, at its own (microsecond) precision, so one takeover wins.
 */
export function takeOverAbandonedIdempotencyKey(db: DbExecutor, claim: Claim, abandonedAfterMs: number) {
  return db
    .updateTable('idempotency_keys')
    .set({ locked_at: sql`now()` })
    .where('api_key_id', '=', claim.apiKeyId)
    .where('key', '=', claim.key)
    .where('status', 'is', null)
    .where('locked_at', '<', sql<Date>`now() - make_interval(secs => ${abandonedAfterMs / 1000})`)
    .returning(['key', 'created_at'])
    .executeTakeFirst();
}

/** A request still running keeps its claim. */
export async function renewIdempotencyClaim(db: DbExecutor, claim: Claim): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({ locked_at: sql`now()` })
    .where('api_key_id', '=', claim.apiKeyId)
    .where('key', '=', claim.key)
    .where('status', 'is', null)
    .execute();
}

/** Released, not forgotten: a retry claims it at once and keeps its generation. */
export async function releaseIdempotencyClaim(db: DbExecutor, claim: Claim): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({ locked_at: new Date(0) })
    .where('api_key_id', '=', claim.apiKeyId)
    .where('key', '=', claim.key)
    .execute();
}

/** The first answer, replayed to every retry with the same request. */
export async function recordIdempotentAnswer(db: DbExecutor, claim: Claim, status: number, body: unknown): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({ status, response: JSON.stringify(body) })
    .where('api_key_id', '=', claim.apiKeyId)
    .where('key', '=', claim.key)
    .execute();
}
