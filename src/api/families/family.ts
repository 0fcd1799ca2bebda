import type { Express, RequestHandler } from 'express';
import type { ErrorDialect } from '../errors';
import { dialect, notFoundRoute } from '../middleware/error-handler';
import type { DocumentedRouter } from '../route';

/**
 * An API family: the routes one seed's clients call and the error dialect they read (SellApp's
 * 422 and wording, or the Sell API's 400). Families may share a mount point (/api/v1): each one
 * sets its dialect on the paths its own routes own.
 */
export interface ApiFamily {
  name: string;
  dialect: ErrorDialect;
  routers: DocumentedRouter[];
}

/**
 * Mounts every family behind `guard` (authentication, rate limit, idempotency), once per mount
 * point so the guard runs once per request; what no route answers is a 404 in `fallback`'s dialect.
 */
export function mountFamilies(app: Express, families: ApiFamily[], guard: RequestHandler[], fallback: ErrorDialect): void {
  for (const family of families) {
    for (const router of family.routers) app.use(router.ownedPaths(), dialect(family.dialect));
  }
  const mounts = [...new Set(families.flatMap((family) => family.routers.map((router) => router.mountPath)))];
  for (const mount of mounts) {
    const routers = families.flatMap((family) => family.routers).filter((router) => router.mountPath === mount);
    app.use(mount, ...guard, ...routers.map((router) => router.router));
    app.use(mount, dialect(fallback), notFoundRoute());
  }
}
