import type { NextFunction, Request, Response } from 'express';
import { authenticateCustomerSession } from '../../customers/sessions';
import type { Db } from '../../db/schema';
import { looksLikeApiKey } from '../../domain/api-key-secret';
import { permissionDenied, unauthenticated } from '../errors';
import type { RequestAuth } from './authenticate';

/**
 * The customer portal is its own trust zone: only a customer session token opens it. A seller's
 * API key is refused here (403), as a session token is everywhere else (authenticate() takes API
 * keys only). The request then acts for one customer of one store and world, with no scope.
 */
export function authenticateCustomer(db: Db) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    if (!match?.[1]) throw unauthenticated('Missing customer session token');
    if (looksLikeApiKey(match[1]))
      throw permissionDenied('customer_session_required', 'The customer portal takes a customer session token, not an API key');
    const session = await authenticateCustomerSession(db, match[1]);
    if (!session) throw unauthenticated('Invalid, expired or revoked customer session');
    res.locals.auth = {
      keyId: 0,
      accountId: session.accountId,
      store: session.store,
      scopes: [],
      accountWide: false,
      livemode: session.livemode,
      rateLimitPerMinute: null,
      rateLimitBurst: null,
      customer: { id: session.customerId, sessionId: session.sessionId },
    } satisfies RequestAuth;
    next();
  };
}
