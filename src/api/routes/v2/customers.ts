import { z } from 'zod';
import {
  createCustomer,
  customerView,
  customerViews,
  findCustomer,
  findCustomerByExternalId,
  storeCustomers,
  updateCustomer,
  upsertCustomerByExternalId,
  type CustomerScope,
} from '../../../customers/customers';
import { customerEntitlements } from '../../../customers/entitlements';
import type { ApiDependencies } from '../../context';
import type { RequestAuth } from '../../middleware/authenticate';
import { pageQuery } from '../../pagination';
import type { DocumentedRouter } from '../../route';
import { rowId } from '../../schemas/common';
import {
  customerCreateBody,
  customerUpdateBody,
  customerUpsertBody,
  customerView as customerSchema,
  entitlementView,
  externalId,
} from '../../schemas/customers';
import { SearchTranslator } from '../../search';
import { registerListAndSearch } from '../../families/sellapp/resource-routes';

const customerParams = z.object({ customer: rowId });
const externalParams = z.object({ externalId });
const customerSearch = new SearchTranslator(
  { id: 'id', email: 'email', external_id: 'external_id', locale: 'locale', created_at: 'created_at', updated_at: 'updated_at' },
  ['email', 'name', 'external_id'],
);

export const scopeOf = (auth: RequestAuth): CustomerScope => ({ storeId: auth.store.id, livemode: auth.livemode });

const fieldsOf = (body: z.infer<typeof customerUpdateBody>) => ({
  email: body.email,
  name: body.name,
  locale: body.locale,
  metadata: body.metadata,
  externalId: body.external_id,
});

/** SellApp's customers: a store's buyers, made by their first order or by the seller, each in its own world. */
export function registerCustomerRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  const one = z.object({ data: customerSchema });
  registerListAndSearch(router, deps, {
    path: '/customers',
    noun: 'customers',
    tags: ['Customers'],
    item: customerSchema,
    scope: 'invoices:read',
    query: pageQuery,
    listSummary: 'List customers',
    searchSummary: 'Search customers (filters on id, email, external_id, locale, dates; text search on email, name and external_id)',
    from: (auth) => storeCustomers(deps.db, scopeOf(auth)),
    rows: (q) => q.selectAll(),
    translator: customerSearch,
    order: [['id', 'asc']],
    view: (rows) => customerViews(deps.db, rows),
  });
  const entitlements = z.object({ data: z.array(entitlementView) });
  router
    .route({
      method: 'get',
      path: '/customers/external/:externalId/entitlements',
      summary: 'What the customer with this external_id holds now: license keys, community access, subscriptions, downloads',
      tags: ['Customers'],
      scope: 'invoices:read',
      params: externalParams,
      response: entitlements,
      handler: async ({ auth, params }) => ({
        data: await customerEntitlements(deps.db, await findCustomerByExternalId(deps.db, scopeOf(auth), params.externalId)),
      }),
    })
    .route({
      method: 'get',
      path: '/customers/:customer/entitlements',
      summary: 'What the customer holds now: license keys, community access, subscriptions, downloads',
      tags: ['Customers'],
      scope: 'invoices:read',
      params: customerParams,
      response: entitlements,
      handler: async ({ auth, params }) => ({
        data: await customerEntitlements(deps.db, await findCustomer(deps.db, scopeOf(auth), params.customer)),
      }),
    })
    .route({
      method: 'post',
      path: '/customers',
      summary: 'Create a customer (unique e-mail and external_id per store)',
      tags: ['Customers'],
      scope: 'invoices:write',
      modes: 'both',
      body: customerCreateBody,
      status: 201,
      response: one,
      handler: async ({ auth, body }) => {
        const row = await deps.db
          .transaction()
          .execute((trx) => createCustomer(trx, scopeOf(auth), { ...fieldsOf(body), email: body.email }));
        return { data: await customerView(deps.db, row) };
      },
    })
    .route({
      method: 'get',
      path: '/customers/external/:externalId',
      summary: 'Retrieve a customer by the seller’s external_id',
      tags: ['Customers'],
      scope: 'invoices:read',
      params: externalParams,
      response: one,
      handler: async ({ auth, params }) => ({
        data: await customerView(deps.db, await findCustomerByExternalId(deps.db, scopeOf(auth), params.externalId)),
      }),
    })
    .route({
      method: 'put',
      path: '/customers/external/:externalId',
      summary: 'Create or update the customer with this external_id (201 when created)',
      tags: ['Customers'],
      scope: 'invoices:write',
      modes: 'both',
      params: externalParams,
      body: customerUpsertBody,
      response: one,
      handler: async ({ auth, params, body, res }) => {
        const { row, created } = await deps.db
          .transaction()
          .execute((trx) => upsertCustomerByExternalId(trx, scopeOf(auth), params.externalId, { ...fieldsOf(body), email: body.email }));
        if (created) res.status(201);
        return { data: await customerView(deps.db, row) };
      },
    })
    .route({
      method: 'patch',
      path: '/customers/external/:externalId',
      summary: 'Update the customer with this external_id',
      tags: ['Customers'],
      scope: 'invoices:write',
      modes: 'both',
      params: externalParams,
      body: customerUpdateBody,
      response: one,
      handler: async ({ auth, params, body }) => {
        const row = await deps.db.transaction().execute(async (trx) => {
          const current = await findCustomerByExternalId(trx, scopeOf(auth), params.externalId);
          return updateCustomer(trx, scopeOf(auth), current, fieldsOf(body));
        });
        return { data: await customerView(deps.db, row) };
      },
    })
    .route({
      method: 'get',
      path: '/customers/:customer',
      summary: 'Retrieve a customer, with what their orders add up to',
      tags: ['Customers'],
      scope: 'invoices:read',
      params: customerParams,
      response: one,
      handler: async ({ auth, params }) => ({
        data: await customerView(deps.db, await findCustomer(deps.db, scopeOf(auth), params.customer)),
      }),
    })
    .route({
      method: 'patch',
      path: '/customers/:customer',
      summary: 'Update a customer (external_id only while unset)',
      tags: ['Customers'],
      scope: 'invoices:write',
      modes: 'both',
      params: customerParams,
      body: customerUpdateBody,
      response: one,
      handler: async ({ auth, params, body }) => {
        const row = await deps.db.transaction().execute(async (trx) => {
          const current = await findCustomer(trx, scopeOf(auth), params.customer);
          return updateCustomer(trx, scopeOf(auth), current, fieldsOf(body));
        });
        return { data: await customerView(deps.db, row) };
      },
    });
}
