import { z } from 'zod';
import {
  deleteSection,
  reorderSections,
  replaceSectionMembers,
  requireSection,
  sectionViews,
  storeSections,
  writeSection,
} from '../../../catalog/groups';
import type { DbExecutor } from '../../../db/schema';
import type { ApiDependencies } from '../../context';
import { pageQuery } from '../../pagination';
import type { DocumentedRouter, RouteContext } from '../../route';
import { rowId, rowIdNumber } from '../../schemas/common';
import { SearchTranslator } from '../../search';
import { registerBatchRoutes, registerListAndSearch } from './resource-routes';

const sectionCreate = z
  .object({ title: z.string().min(1).max(255), hidden: z.boolean(), order: z.number().int().min(0).max(1_000_000).optional() })
  .strict();
const sectionUpdate = sectionCreate.partial().strict();
const sectionParams = z.object({ section: rowId });
const members = z.object({ resources: z.array(rowIdNumber).max(1000) }).strict();
const sectionView = z.object({ id: z.number(), title: z.string(), slug: z.string(), hidden: z.boolean() }).passthrough().openapi('Section');
const sectionSearch = new SearchTranslator(
  { id: 'id', title: 'title', slug: 'slug', hidden: 'hidden', order: 'order', created_at: 'created_at', updated_at: 'updated_at' },
  ['title', 'slug'],
);

/** SellApp's sections (v1 paths in its v2 reference): CRUD, search and batch. */
export function registerSectionRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  const views = async (db: DbExecutor, rows: Awaited<ReturnType<typeof requireSection>>[]) => sectionViews(db, rows);
  /** PUT /sections/:section/products|groups: the section holds exactly these, in this order. */
  const replaceMembers = (table: 'products' | 'groups') => ({
    method: 'put' as const,
    path: `/sections/:section/${table}`,
    summary: `Make the section's ${table} exactly these, in this order`,
    tags: ['Sections'],
    scope: 'products:write' as const,
    params: sectionParams,
    body: members,
    response: z.object({ data: sectionView }),
    handler: async ({ auth, params, body }: RouteContext<z.infer<typeof sectionParams>, undefined, z.infer<typeof members>>) => ({
      data: await deps.db.transaction().execute(async (trx) => {
        const section = await replaceSectionMembers(trx, auth.store.id, params.section, table, body.resources);
        return (await views(trx, [section]))[0]!;
      }),
    }),
  });
  const common = { path: '/sections', noun: 'sections', tags: ['Sections'], item: sectionView };
  registerListAndSearch(router, deps, {
    ...common,
    scope: 'products:read',
    query: pageQuery,
    listSummary: 'List sections',
    searchSummary: 'Search sections',
    from: (auth) => storeSections(deps.db, auth.store.id),
    rows: (q) => q.selectAll(),
    translator: sectionSearch,
    order: [
      ['order', 'asc'],
      ['id', 'asc'],
    ],
    view: (rows) => sectionViews(deps.db, rows),
  });
  const viewOf = async (db: DbExecutor, row: Awaited<ReturnType<typeof requireSection>>) => (await views(db, [row]))[0]!;
  registerBatchRoutes(router, deps.db, {
    ...common,
    scope: 'products:write',
    create: sectionCreate,
    update: sectionUpdate,
    created: async (trx, storeId, resource) => viewOf(trx, await writeSection(trx, storeId, resource)),
    updated: async (trx, storeId, id, change) => viewOf(trx, await writeSection(trx, storeId, change, id)),
    deleted: async (trx, storeId, ids) => {
      // Their views while their groups and products are still linked.
      const gone = [];
      for (const id of ids) gone.push(await viewOf(trx, await requireSection(trx, storeId, id)));
      for (const id of ids) await deleteSection(trx, storeId, id);
      return gone;
    },
  });

  router
    .route({
      method: 'put',
      path: '/sections/order',
      summary: 'Put the sections in this order (each id’s place in the list)',
      tags: ['Sections'],
      scope: 'products:write',
      body: members,
      response: z.object({ data: z.array(sectionView) }),
      handler: async ({ auth, body }) => ({
        data: await deps.db.transaction().execute(async (trx) => views(trx, await reorderSections(trx, auth.store.id, body.resources))),
      }),
    })
    .route(replaceMembers('products'))
    .route(replaceMembers('groups'))
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
