import type { Request } from 'express';
import type { SelectQueryBuilder } from 'kysely';
import { z } from 'zod';
import type { Db, DbExecutor } from '../../../db/schema';
import type { Scope } from '../../../domain/scopes';
import type { ApiDependencies } from '../../context';
import type { RequestAuth } from '../../middleware/authenticate';
import { type PagedSearch, pagedSearch } from '../../paged-search';
import { type Page, type PageQuery, pageQuery, pageUrl } from '../../pagination';
import type { DocumentedRouter } from '../../route';
import { rowId, rowIdKey } from '../../schemas/common';
import { type SearchBody, type SearchTranslator, searchBody } from '../../search';

/**
 * The routes SellApp's resources share, built once: a list and its `POST …/search` over the same
 * page, the all-or-none batch create / update / delete, and a collection's own list / create /
 * retrieve / replace / update / delete.
 */

interface Resource {
  /** The collection's path, e.g. `/coupons`. */
  path: string;
  /** The plural for summaries, e.g. `coupons`. */
  noun: string;
  tags: string[];
  item: z.ZodType;
}

export interface ListedResource<Q extends PageQuery, DB, TB extends keyof DB, Row> extends Resource {
  scope: Scope;
  query: z.ZodType<Q>;
  listSummary: string;
  searchSummary: string;
  /** What of the list the key may see (store, trash…), and the rest of pagedSearch's spec. */
  from: (auth: RequestAuth, query: Q) => SelectQueryBuilder<DB, TB, object>;
  rows: PagedSearch<DB, TB, Row, unknown>['rows'];
  translator: SearchTranslator;
  order: PagedSearch<DB, TB, Row, unknown>['order'];
  view: (rows: Row[]) => unknown[] | Promise<unknown[]>;
}

export function registerListAndSearch<Q extends PageQuery, DB, TB extends keyof DB, Row>(
  router: DocumentedRouter,
  deps: ApiDependencies,
  spec: ListedResource<Q, DB, TB, Row>,
): void {
  const page = (auth: RequestAuth, query: Q, req: Request, search?: SearchBody) =>
    pagedSearch({
      from: spec.from(auth, query),
      rows: spec.rows,
      search,
      translator: spec.translator,
      order: spec.order,
      page: query,
      path: pageUrl(deps.config.api.publicBaseUrl, req),
      view: spec.view,
    });
  const common = { tags: spec.tags, scope: spec.scope, query: spec.query, response: z.object({ data: z.array(spec.item) }).passthrough() };
  router
    .route({
      ...common,
      method: 'get',
      path: spec.path,
      summary: spec.listSummary,
      handler: ({ auth, query, req }) => page(auth, query, req),
    })
    .route({
      ...common,
      method: 'post',
      path: `${spec.path}/search`,
      summary: spec.searchSummary,
      body: searchBody,
      handler: ({ auth, query, body, req }) => page(auth, query, req, body),
    });
}

export interface BatchResource<C, U> extends Resource {
  scope: Scope;
  create: z.ZodType<C>;
  update: z.ZodType<U>;
  /** Each returns the resource's view; `field` prefixes the names of the fields a rule refuses (`resources.2.`). */
  created: (trx: DbExecutor, storeId: number, resource: C, field: string) => Promise<unknown>;
  updated: (trx: DbExecutor, storeId: number, id: number, change: U, field: string) => Promise<unknown>;
  /** The views of the rows about to go, then their deletion. */
  deleted: (trx: DbExecutor, storeId: number, ids: number[]) => Promise<unknown[]>;
}

/** Several rows at once in one transaction: one refusal and none is written. */
export function registerBatchRoutes<C, U>(router: DocumentedRouter, db: Db, spec: BatchResource<C, U>): void {
  const common = { tags: spec.tags, scope: spec.scope, path: `${spec.path}/batch`, response: z.object({ data: z.array(spec.item) }) };
  const each = async <T>(entries: T[], write: (entry: T) => Promise<unknown>) => {
    const views = [];
    for (const entry of entries) views.push(await write(entry));
    return views;
  };
  router
    .route({
      ...common,
      method: 'post',
      summary: `Create several ${spec.noun} at once (all or none)`,
      body: z.object({ resources: z.array(spec.create).min(1).max(100) }).strict(),
      handler: async ({ auth, body }) => ({
        data: await db
          .transaction()
          .execute((trx) =>
            each([...body.resources.entries()], ([i, resource]) => spec.created(trx, auth.store.id, resource, `resources.${i}.`)),
          ),
      }),
    })
    .route({
      ...common,
      method: 'patch',
      summary: `Update several ${spec.noun} at once, keyed by id (all or none)`,
      body: z.object({ resources: z.record(rowIdKey(), spec.update) }).strict(),
      handler: async ({ auth, body }) => ({
        data: await db
          .transaction()
          .execute((trx) =>
            each(Object.entries(body.resources), ([id, change]) =>
              spec.updated(trx, auth.store.id, Number(id), change, `resources.${id}.`),
            ),
          ),
      }),
    })
    .route({
      ...common,
      method: 'delete',
      summary: `Delete several ${spec.noun} at once (all or none)`,
      body: z.object({ resources: z.array(rowId).min(1).max(100) }).strict(),
      handler: async ({ auth, body }) => ({
        data: await db.transaction().execute((trx) => spec.deleted(trx, auth.store.id, body.resources)),
      }),
    });
}

export interface CollectionResource<P, M extends P, C, U> {
  /** The collection's path, e.g. `/products/:product/variants/:variant/deliverable/files`. */
  path: string;
  /** The member's path parameter, e.g. `file`. */
  member: string;
  tags: string[];
  read: Scope;
  write: Scope;
  params: z.ZodType<P>;
  memberParams: z.ZodType<M>;
  item: z.ZodType;
  summaries: { list: string; create: string; retrieve: string; replace: string; update: string; delete: string };
  /** One page of the caller's own members (after any check on the parents), through pagedSearch with `at`'s page and URL. */
  list: (auth: RequestAuth, params: P, at: { page: PageQuery; path: string }) => Promise<Page<unknown>>;
  create: { body: z.ZodType<C>; write: (auth: RequestAuth, params: P, body: C) => Promise<unknown> };
  retrieve: (auth: RequestAuth, params: M) => Promise<unknown>;
  /** PUT replaces (what is not sent is reset), PATCH updates (what is not sent is kept). */
  change: { body: z.ZodType<U>; write: (auth: RequestAuth, params: M, body: U, semantics: 'replace' | 'update') => Promise<unknown> };
  remove: (auth: RequestAuth, params: M) => Promise<unknown>;
}

/** A collection's routes: each callback answers with the member's view, which goes out as `{data}`. */
export function registerCollectionRoutes<P, M extends P, C, U>(
  router: DocumentedRouter,
  deps: ApiDependencies,
  spec: CollectionResource<P, M, C, U>,
): void {
  const one = z.object({ data: spec.item });
  const member = { tags: spec.tags, path: `${spec.path}/:${spec.member}`, params: spec.memberParams, response: one };
  router
    .route({
      method: 'get',
      path: spec.path,
      summary: spec.summaries.list,
      tags: spec.tags,
      scope: spec.read,
      params: spec.params,
      query: pageQuery,
      response: z.object({ data: z.array(spec.item) }).passthrough(),
      handler: ({ auth, params, query, req }) =>
        spec.list(auth, params, { page: query, path: pageUrl(deps.config.api.publicBaseUrl, req) }),
    })
    .route({
      method: 'post',
      path: spec.path,
      summary: spec.summaries.create,
      tags: spec.tags,
      scope: spec.write,
      params: spec.params,
      body: spec.create.body,
      status: 201,
      response: one,
      handler: async ({ auth, params, body }) => ({ data: await spec.create.write(auth, params, body) }),
    })
    .route({
      ...member,
      method: 'get',
      summary: spec.summaries.retrieve,
      scope: spec.read,
      handler: async ({ auth, params }) => ({ data: await spec.retrieve(auth, params) }),
    });
  for (const semantics of ['replace', 'update'] as const)
    router.route({
      ...member,
      method: semantics === 'replace' ? 'put' : 'patch',
      summary: spec.summaries[semantics],
      scope: spec.write,
      body: spec.change.body,
      handler: async ({ auth, params, body }) => ({ data: await spec.change.write(auth, params, body, semantics) }),
    });
  router.route({
    ...member,
    method: 'delete',
    summary: spec.summaries.delete,
    scope: spec.write,
    handler: async ({ auth, params }) => ({ data: await spec.remove(auth, params) }),
  });
}
