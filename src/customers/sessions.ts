import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';
import { looksLikeCustomerSessionToken } from '../domain/api-key-secret';
import { generateCustomerSessionToken, hashApiKey } from '../security/api-key-secret';
import { type CustomerScope, findCustomer, findCustomerByExternalId } from './customers';
import { CustomerNotFoundError } from './errors';

/** How long a customer session lasts: short, as the spec has it (15 minutes). */
export const CUSTOMER_SESSION_TTL_MS = 15 * 60_000;

export type SessionSubject = { customerId: number } | { externalCustomerId: string };

export interface IssuedSession {
  id: number;
  /** The bearer token: returned once, never stored (only its SHA-256). */
  token: string;
  customerId: number;
  expiresAt: Date;
}

/** A seller's key opens the customer portal for one customer of its store and world. */
export async function createCustomerSession(
  db: DbExecutor,
  scope: CustomerScope,
  subject: SessionSubject,
  createdByKeyId: number,
): Promise<IssuedSession> {
  const customer =
    'customerId' in subject
      ? await findCustomer(db, scope, subject.customerId)
      : await findCustomerByExternalId(db, scope, subject.externalCustomerId);
  const token = generateCustomerSessionToken();
  const row = await db
    .insertInto('customer_sessions')
    .values({
      store_id: scope.storeId,
      livemode: scope.livemode,
      customer_id: customer.id,
      token_hash: hashApiKey(token),
      created_by_key_id: createdByKeyId,
      expires_at: new Date(Date.now() + CUSTOMER_SESSION_TTL_MS),
      revoked_at: null,
    })
    .returning(['id', 'expires_at'])
    .executeTakeFirstOrThrow();
  return { id: row.id, token, customerId: customer.id, expiresAt: row.expires_at };
}

/** Ends a session at once (again: still ended); another store's or world's is a 404. */
export async function revokeCustomerSession(db: DbExecutor, scope: CustomerScope, id: number): Promise<void> {
  const result = await db
    .updateTable('customer_sessions')
    .set({ revoked_at: sql`coalesce(revoked_at, now())` })
    .where('id', '=', id)
    .where('store_id', '=', scope.storeId)
    .where('livemode', '=', scope.livemode)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) throw new CustomerNotFoundError('Customer session');
}

export interface PortalSession {
  sessionId: number;
  customerId: number;
  livemode: boolean;
  accountId: number;
  store: { id: number; slug: string; rateLimitPerMinute: number | null; rateLimitBurst: number | null };
}

/** The live session a token opens: not revoked, not expired, of a store that still exists; else null. */
export async function authenticateCustomerSession(db: DbExecutor, token: string): Promise<PortalSession | null> {
  if (!looksLikeCustomerSessionToken(token)) return null;
  const row = await db
    .selectFrom('customer_sessions as cs')
    .innerJoin('stores as s', 's.id', 'cs.store_id')
    .select([
      'cs.id',
      'cs.customer_id',
      'cs.livemode',
      's.id as store_id',
      's.slug',
      's.account_id',
      's.rate_limit_per_minute',
      's.rate_limit_burst',
    ])
    .where('cs.token_hash', '=', hashApiKey(token))
    .where('cs.revoked_at', 'is', null)
    .where('cs.expires_at', '>', new Date())
    .where('s.deleted_at', 'is', null)
    .executeTakeFirst();
  if (!row) return null;
  return {
    sessionId: row.id,
    customerId: row.customer_id,
    livemode: row.livemode,
    accountId: row.account_id,
    store: { id: row.store_id, slug: row.slug, rateLimitPerMinute: row.rate_limit_per_minute, rateLimitBurst: row.rate_limit_burst },
  };
}
