import { z } from 'zod';
import {
  archiveSellProduct,
  listSellProducts,
  patchSellProduct,
  publishSellProduct,
  requireByRef,
  type SellProductRow,
  upsertSellProduct,
} from '../../../catalog/sell-products';
import type { CatalogActor } from '../../../catalog/actor';
import { sellProductViews } from '../../../catalog/views/sell';
import type { DbExecutor } from '../../../db/schema';
import type { ApiDependencies } from '../../context';
import type { RequestAuth } from '../../middleware/authenticate';
import type { DocumentedRouter, RouteContext } from '../../route';
import { sellProductBody, sellProductListQuery } from '../../schemas/sell';
import { actorOf } from '../../routes/v2/products';

export const sellProductView = z
  .object({
    id: z.string(),
    externalId: z.string().nullable(),
    name: z.string(),
    priceCents: z.number(),
    currency: z.string(),
    productType: z.string(),
    billingInterval: z.string().nullable(),
    status: z.enum(['DRAFT', 'PUBLISHED', 'ARCHIVED']),
  })
  .passthrough()
  .openapi('SellProduct');

const refParams = z.object({ ref: z.string().min(1).max(200) });

/** The Sell publishing API's products (/api/v1/products). */
export function registerSellProductRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  const view = async (id: number) => (await sellProductViews(deps.db, [id]))[0]!;
  const load = (auth: RequestAuth, ref: string) => requireByRef(deps.db, auth.store.id, ref);
  /** The writes on one product, by id or externalId: each answers with the product as it now is. */
  const write = {
    tags: ['Sell products'],
    scope: 'products:write' as const,
    modes: 'both' as const,
    params: refParams,
    response: sellProductView,
  };
  const writeOne =
    <B>(change: (trx: DbExecutor, actor: CatalogActor, product: SellProductRow, body: B) => Promise<unknown>) =>
    async ({ auth, params, body }: RouteContext<z.infer<typeof refParams>, undefined, B>) => {
      const product = await load(auth, params.ref);
      await deps.db.transaction().execute((trx) => change(trx, actorOf(auth), product, body));
      return view(product.id);
    };
  const archive = writeOne(archiveSellProduct);

  router
    .route({
      method: 'get',
      path: '/products',
      summary: 'List products (cursor pagination; status and externalId filters)',
      tags: ['Sell products'],
      scope: 'products:read',
      query: sellProductListQuery,
      response: z.object({ data: z.array(sellProductView), nextCursor: z.string().nullable(), hasMore: z.boolean() }),
      handler: async ({ auth, query }) => {
        const { ids, nextCursor, hasMore } = await listSellProducts(deps.db, auth.store.id, query);
        return { data: await sellProductViews(deps.db, ids), nextCursor, hasMore };
      },
    })
    .route({
      method: 'post',
      path: '/products',
      summary: 'Create a product, or update it when externalId matches (test keys: always DRAFT)',
      tags: ['Sell products'],
      scope: 'products:write',
      modes: 'both',
      body: sellProductBody,
      status: 201,
      response: sellProductView,
      handler: async ({ auth, body, res }) => {
        const { id, created } = await deps.db.transaction().execute((trx) => upsertSellProduct(trx, actorOf(auth), body));
        res.status(created ? 201 : 200).json(await view(id));
      },
    })
    .route({
      method: 'get',
      path: '/products/:ref',
      summary: 'Retrieve a product by id or externalId',
      tags: ['Sell products'],
      scope: 'products:read',
      params: refParams,
      response: sellProductView,
      handler: async ({ auth, params }) => view((await load(auth, params.ref)).id),
    })
    .route({
      ...write,
      method: 'patch',
      path: '/products/:ref',
      summary: 'Partial update: only the fields sent are written',
      body: sellProductBody,
      handler: writeOne(patchSellProduct),
    })
    .route({
      ...write,
      method: 'post',
      path: '/products/:ref/publish',
      summary: 'Publish (gates: priceCents > 0; DIGITAL_DOWNLOAD needs a current release with a file; SUBSCRIPTION needs billingInterval)',
      handler: writeOne(publishSellProduct),
    })
    .route({
      ...write,
      method: 'post',
      path: '/products/:ref/archive',
      summary: 'Archive (soft delete; past orders keep the product)',
      handler: archive,
    })
    .route({ ...write, method: 'delete', path: '/products/:ref', summary: 'Soft delete = archive', handler: archive });
}
