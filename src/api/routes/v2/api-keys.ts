import { z } from 'zod';
import { rowId } from '../../schemas/common';
import { API_KEY_COLUMNS, findStoreKey, issueApiKey, keysOfStore, revokeApiKey } from '../../../accounts/api-keys';
import { SCOPES } from '../../../domain/scopes';
import type { ApiDependencies } from '../../context';
import { notFound, permissionDenied } from '../../errors';
import { pageQuery, pageUrl } from '../../pagination';
import { pagedSearch } from '../../paged-search';
import type { DocumentedRouter } from '../../route';

const apiKeySchema = z
  .object({
    id: z.number().int(),
    store_id: z.number().int().nullable(),
    mode: z.enum(['live', 'test']),
    name: z.string().nullable(),
    prefix: z.string(),
    scopes: z.array(z.string()),
    rate_limit_per_minute: z.number().int().nullable(),
    rate_limit_burst: z.number().int().nullable(),
    created_at: z.string(),
    last_used_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
  })
  .openapi('ApiKey');

const createKeyBody = z
  .object({
    name: z.string().min(1).max(100).optional(),
    mode: z.enum(['live', 'test']).default('live'),
    scopes: z.array(z.enum(SCOPES)).min(1),
    rate_limit_per_minute: z.number().int().min(1).max(100_000).nullable().optional(),
    rate_limit_burst: z.number().int().min(1).max(100_000).nullable().optional(),
  })
  .strict();

const keyIdParams = z.object({ id: rowId });

type KeyRow = {
  id: number;
  store_id: number | null;
  mode: 'live' | 'test';
  name: string | null;
  prefix: string;
  scopes: string[];
  rate_limit_per_minute: number | null;
  rate_limit_burst: number | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
};

function present(row: KeyRow) {
  return {
    id: row.id,
    store_id: row.store_id,
    mode: row.mode,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    rate_limit_per_minute: row.rate_limit_per_minute,
    rate_limit_burst: row.rate_limit_burst,
    created_at: row.created_at.toISOString(),
    last_used_at: row.last_used_at?.toISOString() ?? null,
    revoked_at: row.revoked_at?.toISOString() ?? null,
  };
}

/** API keys of the current store: list, create (shown once), revoke. */
export function registerApiKeyRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  router
    .route({
      method: 'get',
      path: '/api-keys',
      summary: 'List the API keys that can act on this store',
      tags: ['API keys'],
      scope: 'ops:write',
      query: pageQuery,
      response: z.object({ data: z.array(apiKeySchema) }).passthrough(),
      handler: ({ query, auth, req }) =>
        pagedSearch({
          from: keysOfStore(deps.db, auth.accountId, auth.store.id),
          rows: (q) => q.select(API_KEY_COLUMNS),
          order: [['id', 'asc']],
          page: query,
          path: pageUrl(deps.config.api.publicBaseUrl, req),
          view: (rows) => rows.map(present),
        }),
    })
    .route({
      method: 'post',
      path: '/api-keys',
      summary: 'Create an API key for this store; the key is shown only in this response',
      tags: ['API keys'],
      scope: 'ops:write',
      modes: 'both',
      body: createKeyBody,
      status: 201,
      response: z.object({ data: apiKeySchema.extend({ key: z.string() }) }),
      handler: async ({ body, auth }) => {
        // A key can hand out at most what it has: no escalation of scopes or of mode.
        const beyond = body.scopes.filter((scope) => !auth.scopes.includes(scope));
        if (beyond.length > 0)
          throw permissionDenied('scope_escalation', `This API key cannot grant scopes it lacks: ${beyond.join(', ')}`);
        if (!auth.livemode && body.mode === 'live')
          throw permissionDenied('livemode_escalation', 'A test-mode key cannot create live keys');
        const issued = await issueApiKey(deps.db, {
          accountId: auth.accountId,
          storeId: auth.store.id,
          mode: body.mode,
          scopes: body.scopes,
          name: body.name,
          rateLimitPerMinute: body.rate_limit_per_minute,
          rateLimitBurst: body.rate_limit_burst,
        });
        const row = await findStoreKey(deps.db, auth.accountId, auth.store.id, issued.id);
        return { data: { ...present(row!), key: issued.key } };
      },
    })
    .route({
      method: 'delete',
      path: '/api-keys/:id',
      summary: 'Revoke an API key; it stops working at once',
      tags: ['API keys'],
      scope: 'ops:write',
      modes: 'both',
      params: keyIdParams,
      response: z.object({ data: apiKeySchema }),
      handler: async ({ params, auth }) => {
        if (!(await findStoreKey(deps.db, auth.accountId, auth.store.id, params.id))) throw notFound('API key');
        await revokeApiKey(deps.db, { id: params.id, accountId: auth.accountId });
        const row = await findStoreKey(deps.db, auth.accountId, auth.store.id, params.id);
        return { data: present(row!) };
      },
    });
}
