import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { authenticateApiKey } from '../accounts/api-keys';
import { storeForKey } from '../accounts/stores';
import type { Db } from '../db/schema';
import { looksLikeApiKey } from '../domain/api-key-secret';

export const SESSION_COOKIE = 'sellflow_console';
export const SESSION_HOURS = 12;

/** Who is signed in, and the store the console shows them. */
export interface ConsoleSession {
  id: number;
  apiKeyId: number;
  /** The key's name and prefix: what the audit log says did it. */
  actor: string;
  store: { id: number; slug: string };
  /** Echoed in every form; a cross-site page cannot read it (SameSite cookie, no CORS). */
  csrf: string;
}

const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

/** The session's CSRF token, derived from its cookie, so nothing more is stored. */
function csrfFor(token: string): string {
  return createHmac('sha256', token).update('console-csrf').digest('base64url');
}

export function csrfMatches(session: ConsoleSession, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const expected = Buffer.from(session.csrf);
  const given = Buffer.from(presented);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Exchanges an API key with `ops:write` for a session token (the cookie's value); the key
 * itself is never kept by the browser nor here. An account-wide key signs in to the
 * account's first store, as the API does without X-STORE.
 */
export async function signIn(db: Db, presented: string): Promise<{ token: string; expiresAt: Date } | { refused: string }> {
  const key = looksLikeApiKey(presented.trim()) ? await authenticateApiKey(db, presented.trim()) : null;
  if (!key) return { refused: 'That key is not valid, or it was revoked.' };
  if (!key.scopes.includes('ops:write')) return { refused: 'That key lacks the ops:write scope.' };
  const store = await storeForKey(db, key);
  if (!store) return { refused: 'That key has no store to act on.' };
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + SESSION_HOURS * 3_600_000);
  await db
    .insertInto('console_sessions')
    .values({ token_hash: sha256(token), api_key_id: key.id, store_id: store.id, expires_at: expiresAt })
    .execute();
  return { token, expiresAt };
}

/** The live session of a cookie: unexpired, and its key not revoked since. */
export async function sessionOf(db: Db, token: string | undefined): Promise<ConsoleSession | null> {
  if (!token) return null;
  const row = await db
    .selectFrom('console_sessions as s')
    .innerJoin('api_keys as k', 'k.id', 's.api_key_id')
    .innerJoin('stores as st', 'st.id', 's.store_id')
    .select(['s.id', 's.api_key_id', 'k.name', 'k.prefix', 'st.id as store_id', 'st.slug'])
    .where('s.token_hash', '=', sha256(token))
    .where('s.expires_at', '>', new Date())
    .where('k.revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    apiKeyId: row.api_key_id,
    actor: row.name ? `${row.name} (${row.prefix}…)` : `${row.prefix}…`,
    store: { id: row.store_id, slug: row.slug },
    csrf: csrfFor(token),
  };
}

export async function signOut(db: Db, token: string): Promise<void> {
  await db.deleteFrom('console_sessions').where('token_hash', '=', sha256(token)).execute();
}
