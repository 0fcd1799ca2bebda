import { z } from 'zod';
import type { CatalogActor } from '../../../catalog/actor';
import { createProduct, requireProduct, trashProduct, updateProduct } from '../../../catalog/products';
import { productsByIds, storeProductsWithTrash } from '../../../catalog/product-list';
import { firstVariantId } from '../../../catalog/variant-list';
import { writeVariant } from '../../../catalog/variants';
import { listingV1, loadProductViews, serialsForView, type ViewContext } from '../../../catalog/views/sellapp';
import type { DbExecutor, DbTransaction } from '../../../db/schema';
import type { ObjectStorage } from '../../../storage/object-storage';
import type { ApiDependencies } from '../../context';
import type { RequestAuth } from '../../middleware/authenticate';
import { pagedInSellerOrder } from '../../paged-search';
import { pageQuery, pageUrl } from '../../pagination';
import type { DocumentedRouter, RouteContext } from '../../route';
import { queryBoolean, rowId } from '../../schemas/common';
import {
  hasVariantFields,
  listingCreateBody,
  listingUpdateBody,
  productInputFromListing,
  variantInputFromListing,
} from '../../schemas/sellapp-listing';
import { actorOf } from '../../routes/v2/products';

const listingView = z
  .object({
    id: z.number(),
    title: z.string(),
    slug: z.string(),
    price: z.object({ price: z.string(), currency: z.string() }).nullable(),
    url: z.string(),
  })
  .passthrough()
  .openapi('Listing');
const listingParams = z.object({ id: rowId });

/** Writes a listing's variant; it is created the first time variant fields arrive. */
async function writeListingVariant(
  trx: DbExecutor,
  actor: CatalogActor,
  storage: ObjectStorage,
  productId: number,
  body: z.infer<typeof listingUpdateBody>,
): Promise<void> {
  if (!hasVariantFields(body)) return;
  const variantId = await firstVariantId(trx, productId);
  await writeVariant(
    trx,
    actor,
    { productId, variantId },
    { ...variantInputFromListing(body), title: variantId ? undefined : 'Default' },
    storage,
  );
}

export function registerListingRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  const viewContext = (auth: RequestAuth): ViewContext => ({ storefrontBase: deps.config.api.publicBaseUrl, storeSlug: auth.store.slug });

  async function render(auth: RequestAuth, ids: number[], withSerials: boolean) {
    if (ids.length === 0) return [];
    const rows = await productsByIds(deps.db, auth.store.id, ids);
    const views = await loadProductViews(deps.db, ids);
    const out = [];
    for (const product of rows) {
      const variant = views.variantsOf(product.id)[0];
      const serials = variant && withSerials ? await serialsForView(deps.db, variant) : undefined;
      out.push(listingV1(product, variant, variant ? views.stockOf(variant.id) : undefined, serials, viewContext(auth)));
    }
    return out;
  }
  const one = async (auth: RequestAuth, id: number) => (await render(auth, [id], true))[0]!;
  /** One listing, answered unwrapped as SellApp v1 does. */
  const listing = { path: '/listings/:id', tags: ['Listings (v1)'], params: listingParams, response: listingView };
  /** A change to one of the store's listings, in one transaction; the answer is the listing as it now is. */
  const written =
    <B>(change: (trx: DbTransaction, actor: CatalogActor, id: number, body: B) => Promise<unknown>) =>
    async ({ auth, params, body }: RouteContext<z.infer<typeof listingParams>, undefined, B>) => {
      await requireProduct(deps.db, auth.store.id, params.id);
      await deps.db.transaction().execute((trx) => change(trx, actorOf(auth), params.id, body));
      return one(auth, params.id);
    };

  router
    .route({
      method: 'get',
      path: '/listings',
      summary: 'List all listings',
      tags: ['Listings (v1)'],
      scope: 'products:read',
      query: pageQuery.extend({ with_trashed: queryBoolean, only_trashed: queryBoolean }),
      response: z.object({ data: z.array(listingView) }).passthrough(),
      handler: ({ auth, query, req }) =>
        pagedInSellerOrder({
          from: storeProductsWithTrash(deps.db, auth.store.id, query),
          page: query,
          path: pageUrl(deps.config.api.publicBaseUrl, req),
          render: (ids) => render(auth, ids, false),
        }),
    })
    .route({
      method: 'post',
      path: '/listings',
      summary: 'Create a listing (a product with one variant)',
      tags: ['Listings (v1)'],
      scope: 'products:write',
      body: listingCreateBody,
      response: z.object({ data: listingView }),
      handler: async ({ auth, body }) => {
        const id = await deps.db.transaction().execute(async (trx) => {
          const productId = await createProduct(trx, actorOf(auth), { ...productInputFromListing(body), title: body.title });
          await writeListingVariant(trx, actorOf(auth), deps.storage, productId, body);
          return productId;
        });
        return { data: await one(auth, id) };
      },
    })
    .route({
      ...listing,
      method: 'get',
      summary: 'Retrieve a listing (unwrapped, as SellApp v1 answers)',
      scope: 'products:read',
      handler: async ({ auth, params }) => {
        await requireProduct(deps.db, auth.store.id, params.id);
        return one(auth, params.id);
      },
    })
    .route({
      ...listing,
      method: 'patch',
      summary: 'Update a listing (unwrapped response)',
      scope: 'products:write',
      body: listingUpdateBody,
      handler: written(async (trx, actor, id, body) => {
        await updateProduct(trx, actor, id, productInputFromListing(body));
        await writeListingVariant(trx, actor, deps.storage, id, body);
      }),
    })
    .route({
      ...listing,
      method: 'delete',
      summary: 'Delete a listing (soft: with_trashed still lists it; past orders keep it)',
      scope: 'products:write',
      handler: written((trx, actor, id) => trashProduct(trx, actor, id)),
    });
}
