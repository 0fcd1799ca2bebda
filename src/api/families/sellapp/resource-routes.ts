import type { Request } from 'express';
import type { SelectQueryBuilder } from 'kysely';
import { z } from 'zod';
import type { Db, DbExecutor, DbTransaction } from '../../../db/schema';
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

export interface ListedResource<Q extends PageQuery, DB, TB extends keyof DB, Row, P = undefined> extends Resource {
  scope: Scope;
  query: z.ZodType<Q>;
  /** The parent's path parameters, for a list under one (a group's products, a ticket's messages). */
  params?: z.ZodType<P>;
  listSummary: string;
  searchSummary: string;
  /**
   * What of the list the key may see (store, trash…; under a parent, after checking the parent is
   * the caller's), and the rest of pagedSearch's spec.
   */
  from: (auth: RequestAuth, query: Q, params: P) => SelectQueryBuilder<DB, TB, object> | Promise<SelectQueryBuilder<DB, TB, object>>;
  rows: PagedSearch<DB, TB, Row, unknown>['rows'];
  translator: SearchTranslator;
  order: PagedSearch<DB, TB, Row, unknown>['order'];
  view: (rows: Row[]) => unknown[] | Promise<unknown[]>;
}

export function registerListAndSearch<Q extends PageQuery, DB, TB extends keyof DB, Row, P = undefined>(
  router: DocumentedRouter,
  deps: ApiDependencies,
  spec: ListedResource<Q, DB, TB, Row, P>,
): void {
  const page = async (auth: RequestAuth, query: Q, params: P, req: Request, search?: SearchBody) =>
    pagedSearch({
      from: await spec.from(auth, query, params),
      rows: spec.rows,
      search,
      translator: spec.translator,
      order: spec.order,
      page: query,
      path: pageUrl(deps.config.api.publicBaseUrl, req),
      view: spec.view,
    });
  const common = {
    tags: spec.tags,
    scope: spec.scope,
    params: spec.params,
    query: spec.query,
    response: z.object({ data: z.array(spec.item) }).passthrough(),
  };
  router
    .route({
      ...common,
      method: 'get',
      path: spec.path,
      summary: spec.listSummary,
      handler: ({ auth, params, query, req }) => page(auth, query, params, req),
    })
    .route({
      ...common,
      method: 'post',
      path: `${spec.path}/search`,
      summary: spec.searchSummary,
      body: searchBody,
      handler: ({ auth, params, query, body, req }) => page(auth, query, params, req, body),
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

export interface CollectionResource<P, M extends P, C, U, S> {
  /** The collection's path, e.g. `/products/:product/variants/:variant/deliverable/files`. */
  path: string;
  /** The member's path parameter, e.g. `file`, and its value. */
  member: string;
  memberId: (params: M) => number;
  tags: string[];
  read: Scope;
  write: Scope;
  params: z.ZodType<P>;
  memberParams: z.ZodType<M>;
  item: z.ZodType;
  summaries: { list: string; create: string; retrieve: string; replace: string; update: string; delete: string };
  /** The parent the caller must own (refused otherwise): every read below is scoped by it. */
  parent: (auth: RequestAuth, params: P) => Promise<S>;
  /** One page of the parent's members, through pagedSearch with `at`'s page and URL. */
  list: (parent: S, at: { page: PageQuery; path: string }) => Promise<Page<unknown>>;
  /** A member's view (refused when it is not the parent's): what every route but delete answers. */
  find: (parent: S, id: number) => Promise<unknown>;
  create: { body: z.ZodType<C>; write: (trx: DbTransaction, auth: RequestAuth, params: P, body: C) => Promise<number> };
  /** PUT replaces (what is not sent is reset), PATCH updates (what is not sent is kept). */
  change: {
    body: z.ZodType<U>;
    write: (trx: DbTransaction, auth: RequestAuth, params: M, body: U, semantics: 'replace' | 'update') => Promise<unknown>;
  };
  /** Removes the member, answering with its view as it was. */
  remove: (trx: DbTransaction, auth: RequestAuth, params: M) => Promise<unknown>;
}

/** A collection's routes: the parent is checked first, each write is one transaction, and the answer is `{data}`. */
export function registerCollectionRoutes<P, M extends P, C, U, S>(
  router: DocumentedRouter,
  deps: ApiDependencies,
  spec: CollectionResource<P, M, C, U, S>,
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
      handler: async ({ auth, params, query, req }) =>
        spec.list(await spec.parent(auth, params), { page: query, path: pageUrl(deps.config.api.publicBaseUrl, req) }),
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
      handler: async ({ auth, params, body }) => {
        const parent = await spec.parent(auth, params);
        const id = await deps.db.transaction().execute((trx) => spec.create.write(trx, auth, params, body));
        return { data: await spec.find(parent, id) };
      },
    })
    .route({
      ...member,
      method: 'get',
      summary: spec.summaries.retrieve,
      scope: spec.read,
      handler: async ({ auth, params }) => ({ data: await spec.find(await spec.parent(auth, params), spec.memberId(params)) }),
    });
  for (const semantics of ['replace', 'update'] as const)
    router.route({
      ...member,
      method: semantics === 'replace' ? 'put' : 'patch',
      summary: spec.summaries[semantics],
      scope: spec.write,
      body: spec.change.body,
      handler: async ({ auth, params, body }) => {
        const parent = await spec.parent(auth, params);
        await deps.db.transaction().execute((trx) => spec.change.write(trx, auth, params, body, semantics));
        return { data: await spec.find(parent, spec.memberId(params)) };
      },
    });
  router.route({
    ...member,
    method: 'delete',
    summary: spec.summaries.delete,
    scope: spec.write,
    handler: async ({ auth, params }) => {
      await spec.parent(auth, params);
      return { data: await deps.db.transaction().execute((trx) => spec.remove(trx, auth, params)) };
    },
  });
}
