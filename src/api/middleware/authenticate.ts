import type { NextFunction, Request, Response } from 'express';
import { authenticateApiKey, markApiKeyUsed } from '../../accounts/api-keys';
import { storeForKey } from '../../accounts/stores';
import type { Db } from '../../db/schema';
import { looksLikeApiKey } from '../../domain/api-key-secret';
import { permissionDenied, unauthenticated } from '../errors';

export interface RequestAuth {
  keyId: number;
  accountId: number;
  store: { id: number; slug: string; rateLimitPerMinute: number | null; rateLimitBurst: number | null };
  scopes: string[];
  /** A key of the whole account (acting on the store X-STORE names) rather than of one store. */
  accountWide: boolean;
  /** false for sf_test_ keys: they only ever see and make test-mode data. */
  livemode: boolean;
  rateLimitPerMinute: number | null;
  rateLimitBurst: number | null;
  /** Set only in the customer portal: the customer a session token opened it for (no API key, no scopes). */
  customer?: { id: number; sessionId: number };
}

const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Resolves the Bearer key and the store it acts on. A key bound to a store acts on that
 * store only; an account-wide key acts on the store named by X-STORE (slug), or on the
 * account's first store when the header is absent, as SellApp does.
 */
export function authenticate(db: Db) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) throw unauthenticated(header ? 'Malformed Authorization header; expected "Bearer <key>"' : 'Missing API key');
    const presented = match[1];
    const key = looksLikeApiKey(presented) ? await authenticateApiKey(db, presented) : null;
    if (!key) throw unauthenticated('Invalid or revoked API key');

    const requestedSlug = req.get('x-store')?.trim() || undefined;
    const bound = key.boundStore;
    const store = bound && (!requestedSlug || requestedSlug === bound.slug) ? bound : await storeForKey(db, key, requestedSlug);
    if (!store) {
      throw requestedSlug
        ? permissionDenied('store_not_accessible', `This API key cannot act on store "${requestedSlug}"`)
        : permissionDenied('no_store', 'This API key has no store to act on');
    }

    res.locals.auth = {
      keyId: key.id,
      accountId: key.accountId,
      store: { id: store.id, slug: store.slug, rateLimitPerMinute: store.rate_limit_per_minute, rateLimitBurst: store.rate_limit_burst },
      scopes: key.scopes,
      accountWide: key.storeId === null,
      livemode: key.mode === 'live',
      rateLimitPerMinute: key.rateLimitPerMinute,
      rateLimitBurst: key.rateLimitBurst,
    } satisfies RequestAuth;

    if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      // Bookkeeping only: a failure here must not fail the request.
      markApiKeyUsed(db, key.id).catch(() => undefined);
    }
    next();
  };
}
