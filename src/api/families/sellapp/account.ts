import { z } from 'zod';
import { findAccount, findStoreOfKey, listStoresOfKey } from '../../../accounts/stores';
import type { ApiDependencies } from '../../context';
import { notFound } from '../../errors';
import type { RequestAuth } from '../../middleware/authenticate';
import type { DocumentedRouter } from '../../route';

const storeView = z.object({ id: z.string(), slug: z.string(), name: z.string() }).openapi('StoreSummary');
const storeParams = z.object({ store: z.string().min(1).max(100) });

/**
 * Who the calling key is and what it reaches, as the official SDKs ask first: /me (the account;
 * Sellflow's accounts have no e-mail, so it is ''), the stores the key may act on, one store by
 * id or slug, and the key's permissions (its scopes).
 */
export function registerAccountRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  const keyOf = (auth: RequestAuth) => ({ accountId: auth.accountId, storeId: auth.accountWide ? null : auth.store.id });
  const present = (row: { id: number; slug: string; name: string }) => ({ id: String(row.id), slug: row.slug, name: row.name });

  router
    .route({
      method: 'get',
      path: '/me',
      summary: 'The account the key belongs to',
      tags: ['Account'],
      scope: 'none',
      response: z.object({
        data: z.object({ id: z.string(), username: z.string().nullable(), email: z.string(), credential_type: z.literal('sanctum') }),
      }),
      handler: async ({ auth }) => {
        const account = await findAccount(deps.db, auth.accountId);
        return { data: { id: String(account.id), username: account.name, email: '', credential_type: 'sanctum' as const } };
      },
    })
    .route({
      method: 'get',
      path: '/stores',
      summary: 'The stores this key may act on (all of the account’s for an account-wide key)',
      tags: ['Account'],
      scope: 'none',
      response: z.object({ data: z.array(storeView) }),
      handler: async ({ auth }) => ({ data: (await listStoresOfKey(deps.db, keyOf(auth))).map(present) }),
    })
    .route({
      method: 'get',
      path: '/stores/:store',
      summary: 'One store this key may act on, by id or slug',
      tags: ['Account'],
      scope: 'none',
      params: storeParams,
      response: z.object({ data: storeView }),
      handler: async ({ auth, params }) => {
        const row = await findStoreOfKey(deps.db, keyOf(auth), params.store);
        if (!row) throw notFound('Store');
        return { data: present(row) };
      },
    })
    .route({
      method: 'get',
      path: '/permissions',
      summary: 'What this key may do: its scopes, on one store or all of the account’s',
      tags: ['Account'],
      scope: 'none',
      response: z.object({ data: z.object({ credential_type: z.literal('sanctum'), key_abilities: z.array(z.string()) }).passthrough() }),
      handler: ({ auth }) =>
        Promise.resolve({
          data: {
            credential_type: 'sanctum' as const,
            key_abilities: auth.scopes,
            store_access: auth.accountWide ? ('all' as const) : ('selected' as const),
            store_permissions: auth.scopes,
            effective_abilities: auth.scopes,
          },
        }),
    });
}
