import { z } from 'zod';
import { addStore, findAccount, findStoreOfKey, listStoresOfKey, SLUG_PATTERN, StoreSlugTakenError } from '../../../accounts/stores';
import type { ApiDependencies } from '../../context';
import { conflict, notFound, permissionDenied } from '../../errors';
import type { RequestAuth } from '../../middleware/authenticate';
import type { DocumentedRouter } from '../../route';

const storeView = z.object({ id: z.string(), slug: z.string(), name: z.string() }).openapi('StoreSummary');
const storeParams = z.object({ store: z.string().min(1).max(100) });
const RESERVED_SLUGS = new Set(['api', 'www', 'cdn', 'admin', 'console', 'static', 'assets']);
const createStoreBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    // Lower-cased before it is checked, as the spec says; api, www and cdn stay free for the infrastructure.
    slug: z
      .string()
      .transform((s) => s.toLowerCase())
      .pipe(z.string().regex(SLUG_PATTERN, 'letters, digits and dashes, 1 to 63 characters'))
      .refine((s) => !RESERVED_SLUGS.has(s), 'this slug is reserved'),
    visibility: z.enum(['PUBLIC', 'HIDDEN', 'PRIVATE']).default('PUBLIC'),
  })
  .openapi('CreateStore');

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
      method: 'post',
      path: '/stores',
      summary: 'Create a store for the account (an account-wide key only); the key then acts on it with X-STORE',
      tags: ['Account'],
      scope: 'ops:write',
      body: createStoreBody,
      status: 201,
      response: z.object({
        data: storeView.extend({ visibility: z.string(), storefront_url: z.string(), dashboard_url: z.string() }),
      }),
      handler: async ({ auth, body }) => {
        // A key bound to one store is that store's; only the account's own key may add stores to it.
        if (!auth.accountWide) throw permissionDenied('account_key_required', 'Only an account-wide API key may create a store');
        const row = await deps.db
          .transaction()
          .execute((trx) => addStore(trx, { accountId: auth.accountId, slug: body.slug, name: body.name, visibility: body.visibility }))
          .catch((error: unknown) => {
            if (error instanceof StoreSlugTakenError) throw conflict('slug_taken', error.message, 'slug');
            throw error;
          });
        const base = deps.config.api.publicBaseUrl;
        return {
          data: {
            ...present(row),
            visibility: row.visibility,
            storefront_url: `${base}/stores/${row.slug}`,
            dashboard_url: `${base}/console`,
          },
        };
      },
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
