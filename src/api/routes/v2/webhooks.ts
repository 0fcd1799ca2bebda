import { z } from 'zod';
import { rowId } from '../../schemas/common';
import { laravelTime } from '../../../catalog/views/timestamps';
import { SUBSCRIBABLE_EVENTS } from '../../../events/catalog';
import type { SecretBox } from '../../../security/secret-box';
import { reactivateEndpoint, resendDelivery } from '../../../webhooks/endpoint-ops';
import {
  addEndpoint,
  changeEndpoint,
  DELIVERY_COLUMNS,
  ENDPOINT_COLUMNS,
  endpointDeliveries,
  findEndpoint,
  removeEndpoint,
  storeEndpoints,
} from '../../../webhooks/endpoints';
import type { ApiDependencies } from '../../context';
import { notFound } from '../../errors';
import type { RequestAuth } from '../../middleware/authenticate';
import { pageQuery, pageUrl } from '../../pagination';
import { pagedSearch } from '../../paged-search';
import type { DocumentedRouter, RouteContext } from '../../route';

const endpointUrl = z
  .string()
  .url()
  .max(2048)
  .refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL');

const endpointBody = z.object({
  url: endpointUrl,
  events: z.array(z.enum(SUBSCRIBABLE_EVENTS)).min(1),
  description: z.string().max(500).nullable().optional(),
});
const endpointPatch = endpointBody.partial().extend({ status: z.enum(['active', 'paused']).optional() });
const endpointParams = z.object({ id: rowId });
const endpointView = z
  .object({ id: z.number(), url: z.string(), events: z.array(z.string()), status: z.string(), livemode: z.boolean() })
  .passthrough()
  .openapi('WebhookEndpoint');

type EndpointRow = {
  id: number;
  url: string;
  description: string | null;
  events: string[];
  status: string;
  livemode: boolean;
  consecutive_failures: number;
  paused_at: Date | null;
  created_at: Date;
  updated_at: Date;
};

function present(row: EndpointRow) {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: row.events,
    status: row.status,
    livemode: row.livemode,
    consecutive_failures: row.consecutive_failures,
    paused_at: laravelTime(row.paused_at),
    created_at: laravelTime(row.created_at),
    updated_at: laravelTime(row.updated_at),
  };
}

/** Webhook endpoints of the current store and mode: test keys see test endpoints only. */
export function registerWebhookRoutes(router: DocumentedRouter, deps: ApiDependencies, secrets: SecretBox): void {
  const load = async (auth: RequestAuth, id: number) => {
    const row = await findEndpoint(deps.db, auth.store.id, auth.livemode, id);
    if (!row) throw notFound('Webhook endpoint');
    return row;
  };
  const url = (req: { baseUrl: string; path: string }) => pageUrl(deps.config.api.publicBaseUrl, req);
  /** A write on one of the caller's endpoints: it must be theirs, and the answer is the endpoint as it now is. */
  const endpointWrite = {
    tags: ['Webhooks'],
    scope: 'webhooks:write' as const,
    modes: 'both' as const,
    params: endpointParams,
    response: z.object({ data: endpointView }),
  };
  const change =
    <B>(write: (auth: RequestAuth, id: number, body: B) => Promise<unknown>) =>
    async ({ auth, params, body }: RouteContext<z.infer<typeof endpointParams>, undefined, B>) => {
      await load(auth, params.id);
      await write(auth, params.id, body);
      return { data: present(await load(auth, params.id)) };
    };

  router
    .route({
      method: 'post',
      path: '/webhooks',
      summary: 'Add an endpoint; its signing secret is shown only in this response',
      tags: ['Webhooks'],
      scope: 'webhooks:write',
      modes: 'both',
      body: endpointBody,
      status: 201,
      response: z.object({ data: endpointView.extend({ secret: z.string() }) }),
      handler: async ({ auth, body }) => {
        const { row, secret } = await addEndpoint(deps.db, secrets, auth.store.id, auth.livemode, body);
        return { data: { ...present(row), secret } };
      },
    })
    .route({
      method: 'get',
      path: '/webhooks',
      summary: 'List endpoints',
      tags: ['Webhooks'],
      scope: 'webhooks:write',
      query: pageQuery,
      response: z.object({ data: z.array(endpointView) }).passthrough(),
      handler: ({ auth, query, req }) =>
        pagedSearch({
          from: storeEndpoints(deps.db, auth.store.id, auth.livemode),
          rows: (q) => q.select(ENDPOINT_COLUMNS),
          order: [['id', 'asc']],
          page: query,
          path: url(req),
          view: (rows) => rows.map(present),
        }),
    })
    .route({
      method: 'get',
      path: '/webhooks/:id',
      summary: 'Retrieve an endpoint',
      tags: ['Webhooks'],
      scope: 'webhooks:write',
      params: endpointParams,
      response: z.object({ data: endpointView }),
      handler: async ({ auth, params }) => ({ data: present(await load(auth, params.id)) }),
    })
    .route({
      ...endpointWrite,
      method: 'patch',
      path: '/webhooks/:id',
      summary: 'Change an endpoint’s URL, events, description or status',
      body: endpointPatch,
      handler: change((auth, id, body) => changeEndpoint(deps.db, id, body)),
    })
    .route({
      ...endpointWrite,
      method: 'delete',
      path: '/webhooks/:id',
      summary: 'Remove an endpoint',
      handler: async ({ auth, params }) => {
        const row = await load(auth, params.id);
        await removeEndpoint(deps.db, params.id);
        return { data: present(row) };
      },
    })
    .route({
      ...endpointWrite,
      method: 'post',
      path: '/webhooks/:id/reactivate',
      summary: 'Resume a paused endpoint (resets its failure count)',
      handler: change((auth, id) => reactivateEndpoint(deps.db, auth.store.id, id)),
    })
    .route({
      method: 'get',
      path: '/webhooks/:id/deliveries',
      summary: 'Deliveries to an endpoint: status, attempts, response code, timing',
      tags: ['Webhooks'],
      scope: 'webhooks:write',
      params: endpointParams,
      query: pageQuery,
      response: z
        .object({ data: z.array(z.object({ id: z.number(), event_id: z.string(), status: z.string() }).passthrough()) })
        .passthrough(),
      handler: async ({ auth, params, query, req }) => {
        await load(auth, params.id);
        return pagedSearch({
          from: endpointDeliveries(deps.db, params.id),
          rows: (q) => q.select(DELIVERY_COLUMNS),
          order: [['d.id', 'desc']],
          page: query,
          path: url(req),
          view: (rows) =>
            rows.map((r) => ({ ...r, last_attempt_at: laravelTime(r.last_attempt_at), created_at: laravelTime(r.created_at) })),
        });
      },
    })
    .route({
      method: 'post',
      path: '/webhooks/:id/deliveries/:deliveryId/resend',
      summary: 'Deliver an event to this endpoint again',
      tags: ['Webhooks'],
      scope: 'webhooks:write',
      modes: 'both',
      params: endpointParams.extend({ deliveryId: rowId }),
      status: 202,
      response: z.object({ data: z.object({ id: z.number(), status: z.string() }).passthrough() }),
      handler: async ({ auth, params }) => {
        await load(auth, params.id);
        if (!(await resendDelivery(deps.db, deps.temporal.client, deps.taskQueue, auth.store.id, params.deliveryId, params.id)))
          throw notFound('Delivery');
        return { data: { id: params.deliveryId, status: 'pending' } };
      },
    });
}
