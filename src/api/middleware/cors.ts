import type { NextFunction, Request, Response } from 'express';
import { ApiError } from '../errors';

const ALLOWED_HEADERS = 'Content-Type, Accept, X-Requested-With';

/**
 * CORS for routes a seller's own site calls from the buyer's browser (fast checkout): an origin
 * the store lists (or any, with `*`) gets the Access-Control headers, and its preflight is answered
 * here; any other origin is refused with 403 before anything is created. A request without an
 * Origin is not a browser's cross-site call and passes. `originsOf` answers null for an unknown
 * store, which the route then answers with its 404.
 */
export function storeCors(originsOf: (req: Request) => Promise<string[] | null>) {
  return async (req: Request, res: Response, next: NextFunction) => {
    res.vary('Origin');
    const origins = await originsOf(req);
    const origin = req.headers.origin;
    if (origins === null || origin === undefined) return next();
    if (!origins.includes('*') && !origins.includes(origin)) {
      throw new ApiError('permission_denied', 'origin_not_allowed', `${origin} may not use this store's fast checkout`, {
        sellappMessage: 'This site may not sell these products.',
      });
    }
    res.setHeader('Access-Control-Allow-Origin', origin);
    if (req.method !== 'OPTIONS') return next();
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
    res.setHeader('Access-Control-Max-Age', '600');
    res.status(204).end();
  };
}
