import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { ApiDependencies } from '../../context';
import { DocumentedRouter } from '../../route';
import { registerInvoiceRoutes } from '../../routes/v2/invoices';
import type { ApiFamily } from '../family';
import type { SellAppGateways } from '../sellapp';
import { registerListingRoutes } from './listings';

/** The invoice calls the seed-era v1 wrappers make, at /api/v1 (the v2 routes, the same model). */
const V1_INVOICE_CALLS = new Set([
  'get /invoices',
  'post /invoices',
  'post /invoices/search',
  'get /invoices/:invoice',
  'post /invoices/:invoice/checkout',
  'patch /invoices/:invoice/issue-replacement',
]);

/**
 * SellApp's first API, which the v1 wrappers sellers already use call: /api/v1/listings (a
 * product with one variant) and their invoice calls. SellApp's error dialect.
 */
export function sellappV1Family(registry: OpenAPIRegistry, deps: ApiDependencies, gateways: SellAppGateways): ApiFamily {
  const v1 = new DocumentedRouter(registry, '/api/v1');
  registerListingRoutes(v1, deps);
  const invoices = new DocumentedRouter(registry, '/api/v1', (method, path) => V1_INVOICE_CALLS.has(`${method} ${path}`));
  registerInvoiceRoutes(invoices, deps, gateways);
  return { name: 'SellApp v1', dialect: 'sellapp', routers: [v1, invoices] };
}
