import { z } from 'zod';
import { rowId } from '../../schemas/common';
import {
  addBlacklistRule,
  changeBlacklistRule,
  deleteBlacklistRule,
  requireBlacklistRule,
  storeBlacklists,
  storeBlockedCheckouts,
} from '../../../blacklists/rules';
import { laravelTime } from '../../../catalog/views/timestamps';
import type { Selectable } from 'kysely';
import type { BlacklistsTable } from '../../../db/schema/checkout-rules';
import { BLACKLIST_TYPES } from '../../../domain/blacklist';
import type { ApiDependencies } from '../../context';
import { pagedSearch } from '../../paged-search';
import { pageQuery, pageUrl } from '../../pagination';
import type { DocumentedRouter } from '../../route';
import { SearchTranslator } from '../../search';
import { registerListAndSearch } from './resource-routes';

const ruleCreate = z
  .object({ type: z.enum(BLACKLIST_TYPES), data: z.string().min(1).max(255), description: z.string().max(1000) })
  .strict();
const ruleUpdate = ruleCreate.partial().strict();
const ruleParams = z.object({ blacklist: rowId });
const ruleView = z
  .object({
    id: z.number(),
    type: z.enum(BLACKLIST_TYPES),
    data: z.string(),
    description: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    store_id: z.number(),
  })
  .openapi('Blacklist');
const blockedView = z.object({
  id: z.number(),
  blacklist_id: z.number().nullable(),
  rule_type: z.string(),
  rule_data: z.string(),
  /** Null: the store does not ask for the e-mail at checkout and the buyer gave none. */
  customer_email: z.string().nullable(),
  customer_ip: z.string().nullable(),
  country: z.string().nullable(),
  created_at: z.string(),
});

const ruleSearch = new SearchTranslator({ id: 'id', type: 'type', data: 'data', created_at: 'created_at', updated_at: 'updated_at' }, [
  'data',
  'description',
]);

function present(row: Selectable<BlacklistsTable>) {
  return {
    id: row.id,
    type: row.type,
    data: row.data,
    description: row.description,
    created_at: laravelTime(row.created_at)!,
    updated_at: laravelTime(row.updated_at)!,
    store_id: row.store_id,
  };
}

/** SellApp's blacklists: rules that refuse a checkout by e-mail, pattern, IP, country or ASN. */
export function registerBlacklistRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  registerListAndSearch(router, deps, {
    path: '/blacklists',
    noun: 'blacklists',
    tags: ['Blacklists'],
    item: ruleView,
    scope: 'invoices:read',
    query: pageQuery,
    listSummary: 'List blacklist rules',
    searchSummary: 'Search blacklist rules (filters on id, type, data, dates; text search on data and description)',
    from: (auth) => storeBlacklists(deps.db, auth.store.id),
    rows: (q) => q.selectAll(),
    translator: ruleSearch,
    order: [['id', 'asc']],
    view: (rows) => rows.map(present),
  });

  router
    .route({
      method: 'get',
      path: '/blacklists/blocked',
      summary: 'Checkouts the rules refused, newest first',
      tags: ['Blacklists'],
      scope: 'invoices:read',
      query: pageQuery,
      response: z.object({ data: z.array(blockedView) }).passthrough(),
      handler: ({ auth, query, req }) =>
        pagedSearch({
          from: storeBlockedCheckouts(deps.db, auth.store.id),
          rows: (q) => q.selectAll(),
          order: [['id', 'desc']],
          page: query,
          path: pageUrl(deps.config.api.publicBaseUrl, req),
          view: (rows) => rows.map(({ store_id: _store, created_at, ...row }) => ({ ...row, created_at: laravelTime(created_at)! })),
        }),
    })
    .route({
      method: 'post',
      path: '/blacklists',
      summary: 'Add a rule (ASN AS1234, COUNTRY BE, EMAIL a@b.c, IP 1.3.3.7 or a CIDR range, WILDCARD_EMAIL @yahoo.com)',
      tags: ['Blacklists'],
      scope: 'invoices:write',
      body: ruleCreate,
      response: z.object({ data: ruleView }),
      handler: async ({ auth, body }) => ({ data: present(await addBlacklistRule(deps.db, auth.store.id, body)) }),
    })
    .route({
      method: 'get',
      path: '/blacklists/:blacklist',
      summary: 'Retrieve a rule',
      tags: ['Blacklists'],
      scope: 'invoices:read',
      params: ruleParams,
      response: z.object({ data: ruleView }),
      handler: async ({ auth, params }) => ({ data: present(await requireBlacklistRule(deps.db, auth.store.id, params.blacklist)) }),
    })
    .route({
      // The spec serves the update as PUT too (v1 coupons and sections, v2 all three).
      method: ['put', 'patch'],
      path: '/blacklists/:blacklist',
      summary: 'Change a rule',
      tags: ['Blacklists'],
      scope: 'invoices:write',
      params: ruleParams,
      body: ruleUpdate,
      response: z.object({ data: ruleView }),
      handler: async ({ auth, params, body }) => ({
        data: present(await changeBlacklistRule(deps.db, auth.store.id, params.blacklist, body)),
      }),
    })
    .route({
      method: 'delete',
      path: '/blacklists/:blacklist',
      summary: 'Delete a rule (permanent; refusals it caused stay recorded)',
      tags: ['Blacklists'],
      scope: 'invoices:write',
      params: ruleParams,
      response: z.object({ data: ruleView }),
      handler: async ({ auth, params }) => ({ data: present(await deleteBlacklistRule(deps.db, auth.store.id, params.blacklist)) }),
    });
}
