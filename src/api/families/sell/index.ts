import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { ApiDependencies } from '../../context';
import { DocumentedRouter } from '../../route';
import type { ApiFamily } from '../family';
import { registerSellProductRoutes } from './sell-products';
import { registerSellReleaseRoutes } from './sell-releases';
import { registerUploadRoutes } from './uploads';

/**
 * The Sell publishing API (camelCase, cursor pages): /api/v1/products, their releases and files,
 * /api/v1/uploads. Its error dialect: 400 and the detailed message for validation.
 */
export function sellFamily(registry: OpenAPIRegistry, deps: ApiDependencies): ApiFamily {
  const v1 = new DocumentedRouter(registry, '/api/v1');
  registerSellProductRoutes(v1, deps);
  registerSellReleaseRoutes(v1, deps);
  registerUploadRoutes(v1, deps);
  return { name: 'Sell publishing', dialect: 'sell', routers: [v1] };
}
