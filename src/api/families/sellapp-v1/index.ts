import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { ApiDependencies } from '../../context';
import { DocumentedRouter } from '../../route';
import type { ApiFamily } from '../family';
import { registerListingRoutes } from './listings';

/**
 * SellApp's first API, which the v1 wrappers sellers already use call: /api/v1/listings (a
 * product with one variant). SellApp's error dialect.
 */
export function sellappV1Family(registry: OpenAPIRegistry, deps: ApiDependencies): ApiFamily {
  const v1 = new DocumentedRouter(registry, '/api/v1');
  registerListingRoutes(v1, deps);
  return { name: 'SellApp v1', dialect: 'sellapp', routers: [v1] };
}
