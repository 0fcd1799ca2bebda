import { createId } from '@paralleldrive/cuid2';
import { z } from 'zod';
import { requireProduct } from '../../../catalog/products';
import { restockSerials, trashVariant, type VariantInput, writeVariant } from '../../../catalog/variants';
import { deleteUnsoldSerial, writeSerialInventory } from '../../../catalog/serial-inventory';
import { serialsForView, variantV2 } from '../../../catalog/views/sellapp';
import { availableCounts } from '../../../catalog/serial-stock';
import { findLiveVariant, productVariants, variantSerials, variantsByIds } from '../../../catalog/variant-list';
import { laravelTime } from '../../../catalog/views/timestamps';
import { PARSING_MODES } from '../../../domain/serials';
import type { ApiDependencies } from '../../context';
import { invalidRequest, notFound } from '../../errors';
import type { RequestAuth } from '../../middleware/authenticate';
import { pageQuery, pageUrl } from '../../pagination';
import { pagedInSellerOrder, pagedSearch } from '../../paged-search';
import type { DocumentedRouter } from '../../route';
import { queryBoolean, rowId, rowIdKey, rowIdNumber } from '../../schemas/common';
import {
  pricingInput,
  pricingReplaceBody,
  pricingUpdateBody,
  variantCreateBody,
  variantInputFromV2,
  variantUpdateBody,
} from '../../schemas/sellapp-catalog';
import { SearchTranslator, searchBody } from '../../search';
import { actorOf } from './products';

const variantView = z
  .object({
    id: z.number(),
    product_id: z.number(),
    title: z.string(),
    deliverable: z.object({ data: z.record(z.string(), z.unknown()), types: z.array(z.string()) }),
  })
  .passthrough()
  .openapi('ProductVariant');

const productParams = z.object({ product: rowId });
/** The SDK sends this as multipart form fields; Sellflow takes the same fields as JSON, `file` the text itself. */
const serialImportBody = z
  .object({
    file: z.string().min(1).max(9_000_000),
    parsing_mode: z.enum(PARSING_MODES),
    custom_delimiter: z.string().min(1).max(20).nullable().optional(),
    remove_duplicates: z.boolean().optional(),
    mode: z.enum(['append', 'replace']).optional(),
  })
  .refine((b) => b.parsing_mode !== 'CUSTOM' || !!b.custom_delimiter, {
    message: 'parsing_mode CUSTOM needs a custom_delimiter',
    path: ['custom_delimiter'],
  });
const variantParams = productParams.extend({ variant: rowId });
const variantSearch = new SearchTranslator(
  {
    id: 'id',
    title: 'title',
    order: 'order',
    price: 'price_cents',
    currency: 'currency',
    created_at: 'created_at',
    updated_at: 'updated_at',
  },
  ['title', 'description'],
);

export function registerVariantRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  /** Renders variants of one product; serial values only when a single variant is shown. */
  async function render(auth: RequestAuth, productId: number, ids: number[], withSerials: boolean) {
    if (ids.length === 0) return [];
    const product = await requireProduct(deps.db, auth.store.id, productId, { withTrashed: true });
    const rows = await variantsByIds(deps.db, productId, ids);
    const stock = await availableCounts(
      deps.db,
      rows.map((r) => r.id),
    );
    const views = [];
    for (const row of rows) {
      views.push(variantV2(row, product, stock.get(row.id), withSerials ? await serialsForView(deps.db, row) : undefined));
    }
    return views;
  }
  const one = async (auth: RequestAuth, productId: number, variantId: number) => {
    const [view] = await render(auth, productId, [variantId], true);
    if (!view) throw notFound('Product variant');
    return view;
  };
  const requireVariant = async (auth: RequestAuth, productId: number, variantId: number) => {
    if (!(await findLiveVariant(deps.db, auth.store.id, productId, variantId))) throw notFound('Product variant');
  };

  async function writePricing(auth: RequestAuth, params: { product: number; variant: number }, input: VariantInput) {
    await requireProduct(deps.db, auth.store.id, params.product);
    await deps.db
      .transaction()
      .execute((trx) => writeVariant(trx, actorOf(auth), { productId: params.product, variantId: params.variant }, input, deps.storage));
    return { data: await one(auth, params.product, params.variant) };
  }

  async function listPage(
    auth: RequestAuth,
    productId: number,
    query: z.infer<typeof pageQuery> & { only_drafts?: boolean },
    path: string,
    search?: z.infer<typeof searchBody>,
  ) {
    await requireProduct(deps.db, auth.store.id, productId);
    return pagedInSellerOrder({
      from: productVariants(deps.db, auth.store.id, productId, query),
      search,
      translator: variantSearch,
      page: query,
      path,
      render: (ids) => render(auth, productId, ids, false),
    });
  }
  const url = (req: { baseUrl: string; path: string }) => pageUrl(deps.config.api.publicBaseUrl, req);
  const draftQuery = pageQuery.extend({ with_drafts: queryBoolean, only_drafts: queryBoolean });

  router
    .route({
      method: 'get',
      path: '/products/:product/variants',
      summary: 'List all product variants',
      tags: ['Product variants'],
      scope: 'products:read',
      params: productParams,
      query: draftQuery,
      response: z.object({ data: z.array(variantView) }).passthrough(),
      handler: ({ auth, params, query, req }) => listPage(auth, params.product, query, url(req)),
    })
    .route({
      method: 'post',
      path: '/products/:product/variants/search',
      summary: 'Search product variants',
      tags: ['Product variants'],
      scope: 'products:read',
      params: productParams,
      query: draftQuery,
      body: searchBody,
      response: z.object({ data: z.array(variantView) }).passthrough(),
      handler: ({ auth, params, query, body, req }) => listPage(auth, params.product, query, url(req), body),
    })
    .route({
      method: 'post',
      path: '/products/:product/variants',
      summary: 'Create a product variant with its deliverables',
      tags: ['Product variants'],
      scope: 'products:write',
      params: productParams,
      body: variantCreateBody,
      status: 201,
      response: z.object({ data: variantView }),
      handler: async ({ auth, params, body }) => {
        await requireProduct(deps.db, auth.store.id, params.product);
        const id = await deps.db
          .transaction()
          .execute((trx) => writeVariant(trx, actorOf(auth), { productId: params.product }, variantInputFromV2(body), deps.storage));
        return { data: await one(auth, params.product, id) };
      },
    })
    .route({
      method: 'post',
      path: '/products/:product/variants/batch',
      summary: 'Batch create product variants (all or none)',
      tags: ['Product variants'],
      scope: 'products:write',
      params: productParams,
      body: z.object({ resources: z.array(variantCreateBody).min(1).max(100) }),
      response: z.object({ data: z.array(variantView) }),
      handler: async ({ auth, params, body }) => {
        await requireProduct(deps.db, auth.store.id, params.product);
        const ids = await deps.db.transaction().execute(async (trx) => {
          const created: number[] = [];
          for (const resource of body.resources)
            created.push(await writeVariant(trx, actorOf(auth), { productId: params.product }, variantInputFromV2(resource), deps.storage));
          return created;
        });
        return { data: await render(auth, params.product, ids, true) };
      },
    })
    .route({
      method: 'patch',
      path: '/products/:product/variants/batch',
      summary: 'Batch update product variants, keyed by id (all or none)',
      tags: ['Product variants'],
      scope: 'products:write',
      params: productParams,
      body: z.object({ resources: z.record(rowIdKey('a variant id'), variantUpdateBody) }),
      response: z.object({ data: z.array(variantView) }),
      handler: async ({ auth, params, body }) => {
        const entries = Object.entries(body.resources);
        if (entries.length === 0 || entries.length > 100)
          throw invalidRequest('invalid_field', 'Send 1-100 variants to update', 'resources');
        await requireProduct(deps.db, auth.store.id, params.product);
        await deps.db.transaction().execute(async (trx) => {
          for (const [id, resource] of entries)
            await writeVariant(
              trx,
              actorOf(auth),
              { productId: params.product, variantId: Number(id) },
              variantInputFromV2(resource),
              deps.storage,
            );
        });
        return {
          data: await render(
            auth,
            params.product,
            entries.map(([id]) => Number(id)),
            true,
          ),
        };
      },
    })
    .route({
      method: 'delete',
      path: '/products/:product/variants/batch',
      summary: 'Batch delete product variants (soft)',
      tags: ['Product variants'],
      scope: 'products:write',
      params: productParams,
      body: z.object({ resources: z.array(rowIdNumber).min(1).max(100) }),
      response: z.object({ data: z.array(variantView) }),
      handler: async ({ auth, params, body }) => {
        await requireProduct(deps.db, auth.store.id, params.product);
        await deps.db.transaction().execute(async (trx) => {
          for (const id of body.resources) await trashVariant(trx, actorOf(auth), params.product, id);
        });
        return { data: await render(auth, params.product, body.resources, false) };
      },
    })
    .route({
      method: 'get',
      path: '/products/:product/variants/:variant',
      summary: 'Retrieve a product variant',
      tags: ['Product variants'],
      scope: 'products:read',
      params: variantParams,
      query: z.object({ with_drafts: queryBoolean, only_drafts: queryBoolean }),
      response: z.object({ data: variantView }),
      handler: async ({ auth, params, query }) => {
        await requireProduct(deps.db, auth.store.id, params.product);
        await requireVariant(auth, params.product, params.variant);
        if (query.only_drafts) throw notFound('Product variant');
        return { data: await one(auth, params.product, params.variant) };
      },
    })
    .route({
      // The spec's PUT (ReplaceProductVariantWithPut) has every field optional as PATCH does.
      method: ['put', 'patch'],
      path: '/products/:product/variants/:variant',
      summary: 'Update a product variant (serials sent replace the unsold stock; expected_updated_at refuses a stale write)',
      tags: ['Product variants'],
      scope: 'products:write',
      params: variantParams,
      body: variantUpdateBody,
      response: z.object({ data: variantView }),
      handler: async ({ auth, params, body }) => {
        await requireProduct(deps.db, auth.store.id, params.product);
        await deps.db
          .transaction()
          .execute((trx) =>
            writeVariant(
              trx,
              actorOf(auth),
              { productId: params.product, variantId: params.variant },
              variantInputFromV2(body),
              deps.storage,
            ),
          );
        return { data: await one(auth, params.product, params.variant) };
      },
    })
    .route({
      method: 'put',
      path: '/products/:product/variants/:variant/pricing',
      summary: 'Replace a variant’s pricing and payment methods (bulk discounts and frequency not sent are cleared)',
      tags: ['Product variants'],
      scope: 'products:write',
      params: variantParams,
      body: pricingReplaceBody,
      response: z.object({ data: variantView }),
      handler: ({ auth, params, body }) => writePricing(auth, params, pricingInput(body, 'replace')),
    })
    .route({
      method: 'patch',
      path: '/products/:product/variants/:variant/pricing',
      summary: 'Update a variant’s pricing and payment methods (what is not sent is kept)',
      tags: ['Product variants'],
      scope: 'products:write',
      params: variantParams,
      body: pricingUpdateBody,
      response: z.object({ data: variantView }),
      handler: ({ auth, params, body }) => writePricing(auth, params, pricingInput(body, 'update')),
    })
    .route({
      method: 'delete',
      path: '/products/:product/variants/:variant',
      summary: 'Delete a product variant (soft)',
      tags: ['Product variants'],
      scope: 'products:write',
      params: variantParams,
      response: z.object({ data: variantView }),
      handler: async ({ auth, params }) => {
        await requireProduct(deps.db, auth.store.id, params.product);
        await deps.db.transaction().execute((trx) => trashVariant(trx, actorOf(auth), params.product, params.variant));
        const [view] = await render(auth, params.product, [params.variant], false);
        return { data: view };
      },
    })
    .route({
      method: 'get',
      path: '/products/:product/variants/:variant/serials',
      summary: 'List a variant’s serials, sold and unsold',
      tags: ['Product variants'],
      scope: 'products:read',
      params: variantParams,
      query: pageQuery.extend({ status: z.enum(['AVAILABLE', 'SOLD']).optional() }),
      response: z
        .object({ data: z.array(z.object({ id: z.number(), value: z.string(), status: z.string(), sold_at: z.string().nullable() })) })
        .passthrough(),
      handler: async ({ auth, params, query, req }) => {
        await requireProduct(deps.db, auth.store.id, params.product);
        await requireVariant(auth, params.product, params.variant);
        return pagedSearch({
          from: variantSerials(deps.db, params.variant, query.status),
          rows: (q) => q.select(['id', 'value', 'status', 'sold_at', 'created_at']),
          order: [['id', 'asc']],
          page: query,
          path: url(req),
          view: (rows) =>
            rows.map((r) => ({
              id: Number(r.id),
              value: r.value,
              status: r.status,
              sold_at: laravelTime(r.sold_at),
              created_at: laravelTime(r.created_at),
            })),
        });
      },
    })
    .route({
      method: 'post',
      path: '/products/:product/variants/:variant/serials',
      summary: 'Add serial stock (pasted text or a list), optionally removing duplicates',
      tags: ['Product variants'],
      scope: 'products:write',
      params: variantParams,
      body: z.object({
        serials: z.union([z.string().min(1).max(5_000_000), z.array(z.string().max(10_000)).min(1).max(100_000)]),
        parsingMode: z.enum(PARSING_MODES).optional(),
        delimiter: z.string().min(1).max(20).optional(),
        removeDuplicate: z.boolean().optional(),
        /** The official SDKs' name for removeDuplicate. */
        remove_duplicates: z.boolean().optional(),
      }),
      status: 201,
      response: z.object({ data: z.object({ added: z.number(), duplicates_removed: z.number(), stock: z.number() }) }),
      handler: async ({ auth, params, body }) => {
        await requireProduct(deps.db, auth.store.id, params.product);
        await requireVariant(auth, params.product, params.variant);
        const result = await deps.db.transaction().execute((trx) =>
          restockSerials(trx, actorOf(auth), params.variant, {
            ...body,
            removeDuplicate: body.removeDuplicate ?? body.remove_duplicates,
          }),
        );
        return { data: { added: result.added, duplicates_removed: result.duplicatesRemoved, stock: result.stock } };
      },
    })
    .route({
      method: 'put',
      path: '/products/:product/variants/:variant/serials',
      summary: 'Replace the unsold serial stock (sold serials stay; duplicates and sold values are dropped by default)',
      tags: ['Product variants'],
      scope: 'products:write',
      params: variantParams,
      body: z.object({ serials: z.array(z.string().max(10_000)).max(100_000), remove_duplicates: z.boolean().optional() }),
      response: z.object({ data: z.object({ previous_count: z.number(), current_count: z.number(), submitted_count: z.number() }) }),
      handler: async ({ auth, params, body }) => {
        await requireProduct(deps.db, auth.store.id, params.product);
        const result = await deps.db.transaction().execute((trx) =>
          writeSerialInventory(trx, actorOf(auth), params.variant, {
            serials: body.serials,
            removeDuplicates: body.remove_duplicates ?? true,
            semantics: 'replace',
          }),
        );
        return {
          data: { previous_count: result.previousCount, current_count: result.currentCount, submitted_count: result.submittedCount },
        };
      },
    })
    .route({
      method: 'post',
      path: '/products/:product/variants/:variant/serials/import',
      summary: 'Import serial stock from a text file’s contents (append, or replace the unsold stock)',
      tags: ['Product variants'],
      scope: 'products:write',
      params: variantParams,
      body: serialImportBody,
      status: 202,
      response: z.object({ data: z.object({ status: z.string(), tracker_id: z.string() }).passthrough() }),
      handler: async ({ auth, params, body }) => {
        await requireProduct(deps.db, auth.store.id, params.product);
        const result = await deps.db.transaction().execute((trx) =>
          writeSerialInventory(trx, actorOf(auth), params.variant, {
            serials: body.file,
            mode: body.parsing_mode,
            delimiter: body.custom_delimiter ?? undefined,
            removeDuplicates: body.remove_duplicates ?? true,
            semantics: body.mode === 'replace' ? 'replace' : 'append',
          }),
        );
        // Imported at once, inside the request: the tracker is born finished.
        return {
          data: {
            status: 'completed',
            tracker_id: createId(),
            previous_count: result.previousCount,
            current_count: result.currentCount,
            submitted_count: result.submittedCount,
            duplicates_removed: result.duplicatesRemoved,
          },
        };
      },
    })
    .route({
      method: 'delete',
      path: '/products/:product/variants/:variant/serials/:serial',
      summary: 'Delete one unsold serial (a sold one is the order’s record: 409)',
      tags: ['Product variants'],
      scope: 'products:write',
      params: variantParams.extend({ serial: rowId }),
      response: z.object({ data: z.object({ id: z.string(), serial: z.string(), created_at: z.string(), updated_at: z.string() }) }),
      handler: async ({ auth, params }) => {
        await requireProduct(deps.db, auth.store.id, params.product);
        const removed = await deps.db.transaction().execute((trx) => deleteUnsoldSerial(trx, actorOf(auth), params.variant, params.serial));
        const at = laravelTime(removed.createdAt)!;
        // The spec's serial ids are strings; ours are the row ids the list shows.
        return { data: { id: String(removed.id), serial: removed.value, created_at: at, updated_at: at } };
      },
    });
}
