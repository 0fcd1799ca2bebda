import { z } from 'zod';
import { deleteSection, requireSection, sectionViews, writeSection } from '../../../catalog/groups';
import type { DbExecutor } from '../../../db/schema';
import type { ApiDependencies } from '../../context';
import type { RequestAuth } from '../../middleware/authenticate';
import { pageQuery, pageUrl } from '../../pagination';
import type { DocumentedRouter } from '../../route';
import { rowId, rowIdKey } from '../../schemas/common';
import { pagedSearch } from '../../paged-search';
import { SearchTranslator, searchBody } from '../../search';

const sectionCreate = z
  .object({ title: z.string().min(1).max(255), hidden: z.boolean(), order: z.number().int().min(0).max(1_000_000).optional() })
  .strict();
const sectionUpdate = sectionCreate.partial().strict();
const sectionParams = z.object({ section: rowId });
const sectionView = z.object({ id: z.number(), title: z.string(), slug: z.string(), hidden: z.boolean() }).passthrough().openapi('Section');
const sectionSearch = new SearchTranslator(
  { id: 'id', title: 'title', slug: 'slug', hidden: 'hidden', order: 'order', created_at: 'created_at', updated_at: 'updated_at' },
  ['title', 'slug'],
);

/** SellApp's sections (v1 paths in its v2 reference): CRUD, search and batch. */
export function registerSectionRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  const page = (auth: RequestAuth, query: z.infer<typeof pageQuery>, path: string, search?: z.infer<typeof searchBody>) =>
    pagedSearch({
      from: deps.db.selectFrom('sections').where('store_id', '=', auth.store.id),
      rows: (q) => q.selectAll(),
      search,
      translator: sectionSearch,
      order: [
        ['order', 'asc'],
        ['id', 'asc'],
      ],
      page: query,
      path,
      view: (rows) => sectionViews(deps.db, rows),
    });
  const views = async (db: DbExecutor, rows: Awaited<ReturnType<typeof requireSection>>[]) => sectionViews(db, rows);

  router
    .route({
      method: 'get',
      path: '/sections',
      summary: 'List sections',
      tags: ['Sections'],
      scope: 'products:read',
      query: pageQuery,
      response: z.object({ data: z.array(sectionView) }).passthrough(),
      handler: ({ auth, query, req }) => page(auth, query, pageUrl(deps.config.api.publicBaseUrl, req)),
    })
    .route({
      method: 'post',
      path: '/sections/search',
      summary: 'Search sections',
      tags: ['Sections'],
      scope: 'products:read',
      query: pageQuery,
      body: searchBody,
      response: z.object({ data: z.array(sectionView) }).passthrough(),
      handler: ({ auth, query, body, req }) => page(auth, query, pageUrl(deps.config.api.publicBaseUrl, req), body),
    })
    .route({
      method: 'post',
      path: '/sections/batch',
      summary: 'Create several sections (all or none)',
      tags: ['Sections'],
      scope: 'products:write',
      body: z.object({ resources: z.array(sectionCreate).min(1).max(100) }).strict(),
      response: z.object({ data: z.array(sectionView) }),
      handler: async ({ auth, body }) => ({
        data: await deps.db.transaction().execute(async (trx) => {
          const rows = [];
          for (const resource of body.resources) rows.push(await writeSection(trx, auth.store.id, resource));
          return views(trx, rows);
        }),
      }),
    })
    .route({
      method: 'patch',
      path: '/sections/batch',
      summary: 'Update several sections, keyed by id (all or none)',
      tags: ['Sections'],
      scope: 'products:write',
      body: z.object({ resources: z.record(rowIdKey(), sectionUpdate) }).strict(),
      response: z.object({ data: z.array(sectionView) }),
      handler: async ({ auth, body }) => ({
        data: await deps.db.transaction().execute(async (trx) => {
          const rows = [];
          for (const [id, change] of Object.entries(body.resources)) rows.push(await writeSection(trx, auth.store.id, change, Number(id)));
          return views(trx, rows);
        }),
      }),
    })
    .route({
      method: 'delete',
      path: '/sections/batch',
      summary: 'Delete several sections (all or none)',
      tags: ['Sections'],
      scope: 'products:write',
      body: z.object({ resources: z.array(rowId).min(1).max(100) }).strict(),
      response: z.object({ data: z.array(sectionView) }),
      handler: async ({ auth, body }) => ({
        data: await deps.db.transaction().execute(async (trx) => {
          const rows = [];
          for (const id of body.resources) rows.push((await views(trx, [await requireSection(trx, auth.store.id, id)]))[0]!);
          for (const id of body.resources) await deleteSection(trx, auth.store.id, id);
          return rows;
        }),
      }),
    })
    .route({
      method: 'post',
      path: '/sections',
      summary: 'Create a section (slug from the title)',
      tags: ['Sections'],
      scope: 'products:write',
      body: sectionCreate,
      status: 201,
      response: z.object({ data: sectionView }),
      handler: async ({ auth, body }) => ({ data: (await views(deps.db, [await writeSection(deps.db, auth.store.id, body)]))[0]! }),
    })
    .route({
      method: 'get',
      path: '/sections/:section',
      summary: 'Retrieve a section with its groups and products',
      tags: ['Sections'],
      scope: 'products:read',
      params: sectionParams,
      response: z.object({ data: sectionView }),
      handler: async ({ auth, params }) => ({
        data: (await views(deps.db, [await requireSection(deps.db, auth.store.id, params.section)]))[0]!,
      }),
    })
    .route({
      // The spec serves the update as PUT too (v1 coupons and sections, v2 all three).
      method: ['put', 'patch'],
      path: '/sections/:section',
      summary: 'Update a section',
      tags: ['Sections'],
      scope: 'products:write',
      params: sectionParams,
      body: sectionUpdate,
      response: z.object({ data: sectionView }),
      handler: async ({ auth, params, body }) => ({
        data: (await views(deps.db, [await writeSection(deps.db, auth.store.id, body, params.section)]))[0]!,
      }),
    })
    .route({
      method: 'delete',
      path: '/sections/:section',
      summary: 'Delete a section (permanent; its groups and products stay, unsectioned)',
      tags: ['Sections'],
      scope: 'products:write',
      params: sectionParams,
      response: z.object({ data: sectionView }),
      handler: async ({ auth, params }) =>
        deps.db.transaction().execute(async (trx) => {
          const view = (await views(trx, [await requireSection(trx, auth.store.id, params.section)]))[0]!;
          await deleteSection(trx, auth.store.id, params.section);
          return { data: view };
        }),
    });
}
