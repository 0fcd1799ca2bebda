import { z } from 'zod';
import { rowId } from '../../schemas/common';
import { CatalogRuleError } from '../../../catalog/errors';
import { laravelTime } from '../../../catalog/views/timestamps';
import type { Selectable } from 'kysely';
import type { BlacklistsTable } from '../../../db/schema/checkout-rules';
import { BLACKLIST_TYPES, type BlacklistType, normaliseRule } from '../../../domain/blacklist';
import type { ApiDependencies } from '../../context';
import { notFound } from '../../errors';
import type { RequestAuth } from '../../middleware/authenticate';
import { offsetOf, pageQuery, toPage, pageUrl } from '../../pagination';
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
  customer_email: z.string(),
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

function canonical(type: BlacklistType, data: string): string {
  const result = normaliseRule(type, data);
  if ('problem' in result) throw new CatalogRuleError('invalid_field', `A ${type} rule needs ${result.problem}`, 'data');
  return result.data;
}

/** SellApp's blacklists: rules that refuse a checkout by e-mail, pattern, IP, country or ASN. */
export function registerBlacklistRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  const scoped = (auth: RequestAuth) => deps.db.selectFrom('blacklists').where('store_id', '=', auth.store.id);
  const load = async (auth: RequestAuth, id: number) => {
    const row = await scoped(auth).selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('Blacklist');
    return row;
  };
  registerListAndSearch(router, deps, {
    path: '/blacklists',
    noun: 'blacklists',
    tags: ['Blacklists'],
    item: ruleView,
    scope: 'invoices:read',
    query: pageQuery,
    listSummary: 'List blacklist rules',
    searchSummary: 'Search blacklist rules (filters on id, type, data, dates; text search on data and description)',
    from: scoped,
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
      handler: async ({ auth, query, req }) => {
        const base = deps.db.selectFrom('blocked_checkouts').where('store_id', '=', auth.store.id);
        const { total } = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
        const rows = await base.selectAll().orderBy('id', 'desc').limit(query.limit).offset(offsetOf(query)).execute();
        const items = rows.map(({ store_id: _store, created_at, ...row }) => ({ ...row, created_at: laravelTime(created_at)! }));
        return toPage(items, Number(total), query, pageUrl(deps.config.api.publicBaseUrl, req));
      },
    })
    .route({
      method: 'post',
      path: '/blacklists',
      summary: 'Add a rule (ASN AS1234, COUNTRY BE, EMAIL a@b.c, IP 1.3.3.7 or a CIDR range, WILDCARD_EMAIL @yahoo.com)',
      tags: ['Blacklists'],
      scope: 'invoices:write',
      body: ruleCreate,
      response: z.object({ data: ruleView }),
      handler: async ({ auth, body }) => {
        const row = await deps.db
          .insertInto('blacklists')
          .values({ store_id: auth.store.id, type: body.type, data: canonical(body.type, body.data), description: body.description })
          .returningAll()
          .executeTakeFirstOrThrow();
        return { data: present(row) };
      },
    })
    .route({
      method: 'get',
      path: '/blacklists/:blacklist',
      summary: 'Retrieve a rule',
      tags: ['Blacklists'],
      scope: 'invoices:read',
      params: ruleParams,
      response: z.object({ data: ruleView }),
      handler: async ({ auth, params }) => ({ data: present(await load(auth, params.blacklist)) }),
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
      handler: async ({ auth, params, body }) => {
        const current = await load(auth, params.blacklist);
        const type = body.type ?? current.type;
        const row = await deps.db
          .updateTable('blacklists')
          .set({
            type,
            data: canonical(type, body.data ?? current.data),
            description: body.description ?? current.description,
            updated_at: new Date(),
          })
          .where('id', '=', current.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        return { data: present(row) };
      },
    })
    .route({
      method: 'delete',
      path: '/blacklists/:blacklist',
      summary: 'Delete a rule (permanent; refusals it caused stay recorded)',
      tags: ['Blacklists'],
      scope: 'invoices:write',
      params: ruleParams,
      response: z.object({ data: ruleView }),
      handler: async ({ auth, params }) => {
        const current = await load(auth, params.blacklist);
        await deps.db.deleteFrom('blacklists').where('id', '=', current.id).execute();
        return { data: present(current) };
      },
    });
}
