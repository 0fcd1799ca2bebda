import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { rowId } from '../../schemas/common';
import { laravelTime } from '../../../catalog/views/timestamps';
import { EVENT_TYPES } from '../../../events/catalog';
import type { SecretBox } from '../../../security/secret-box';
import { reactivateEndpoint, resendDelivery } from '../../../webhooks/endpoint-ops';
import type { ApiDependencies } from '../../context';
import { notFound } from '../../errors';
import type { RequestAuth } from '../../middleware/authenticate';
import { offsetOf, pageQuery, toPage, pageUrl } from '../../pagination';
import type { DocumentedRouter } from '../../route';

const endpointUrl = z
  .string()
  .url()
  .max(2048)
  .refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL');

const endpointBody = z.object({
  url: endpointUrl,
  events: z.array(z.enum(EVENT_TYPES)).min(1),
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

const COLUMNS = [
  'id',
  'url',
  'description',
  'events',
  'status',
  'livemode',
  'consecutive_failures',
  'paused_at',
  'created_at',
  'updated_at',
] as const;

/** Webhook endpoints of the current store and mode: test keys see test endpoints only. */
export function registerWebhookRoutes(router: DocumentedRouter, deps: ApiDependencies, secrets: SecretBox): void {
  const scoped = (auth: RequestAuth) =>
    deps.db
      .selectFrom('webhook_endpoints')
      .where('store_id', '=', auth.store.id)
      .where('livemode', '=', auth.livemode)
      .where('deleted_at', 'is', null);
  const load = async (auth: RequestAuth, id: number) => {
    const row = await scoped(auth).select(COLUMNS).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('Webhook endpoint');
    return row;
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
        const secret = `whsec_${randomBytes(24).toString('hex')}`;
        const row = await deps.db
          .insertInto('webhook_endpoints')
          .values({
            store_id: auth.store.id,
            livemode: auth.livemode,
            url: body.url,
            description: body.description ?? null,
            events: body.events,
            secret_sealed: secrets.seal(secret),
            paused_at: null,
            deleted_at: null,
          })
          .returning(COLUMNS)
          .executeTakeFirstOrThrow();
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
      handler: async ({ auth, query, req }) => {
        const { total } = await scoped(auth)
          .select((eb) => eb.fn.countAll<number>().as('total'))
          .executeTakeFirstOrThrow();
        const rows = await scoped(auth).select(COLUMNS).orderBy('id').limit(query.limit).offset(offsetOf(query)).execute();
        return toPage(rows.map(present), Number(total), query, pageUrl(deps.config.api.publicBaseUrl, req));
      },
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
      method: 'patch',
      path: '/webhooks/:id',
      summary: 'Change an endpoint’s URL, events, description or status',
      tags: ['Webhooks'],
      scope: 'webhooks:write',
      modes: 'both',
      params: endpointParams,
      body: endpointPatch,
      response: z.object({ data: endpointView }),
      handler: async ({ auth, params, body }) => {
        await load(auth, params.id);
        await deps.db
          .updateTable('webhook_endpoints')
          .set({
            ...(body.url !== undefined ? { url: body.url } : {}),
            ...(body.events !== undefined ? { events: body.events } : {}),
            ...(body.description !== undefined ? { description: body.description } : {}),
            ...(body.status === 'paused' ? { status: 'paused' as const, paused_at: new Date() } : {}),
            ...(body.status === 'active' ? { status: 'active' as const, paused_at: null, consecutive_failures: 0 } : {}),
            updated_at: new Date(),
          })
          .where('id', '=', params.id)
          .execute();
        return { data: present(await load(auth, params.id)) };
      },
    })
    .route({
      method: 'delete',
      path: '/webhooks/:id',
      summary: 'Remove an endpoint',
      tags: ['Webhooks'],
      scope: 'webhooks:write',
      modes: 'both',
      params: endpointParams,
      response: z.object({ data: endpointView }),
      handler: async ({ auth, params }) => {
        const row = await load(auth, params.id);
        await deps.db.updateTable('webhook_endpoints').set({ deleted_at: new Date() }).where('id', '=', params.id).execute();
        return { data: present(row) };
      },
    })
    .route({
      method: 'post',
      path: '/webhooks/:id/reactivate',
      summary: 'Resume a paused endpoint (resets its failure count)',
      tags: ['Webhooks'],
      scope: 'webhooks:write',
      modes: 'both',
      params: endpointParams,
      response: z.object({ data: endpointView }),
      handler: async ({ auth, params }) => {
        await load(auth, params.id);
        await reactivateEndpoint(deps.db, auth.store.id, params.id);
        return { data: present(await load(auth, params.id)) };
      },
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
        const base = deps.db
          .selectFrom('webhook_deliveries as d')
          .innerJoin('events as e', 'e.id', 'd.event_id')
          .where('d.endpoint_id', '=', params.id);
        const { total } = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
        const rows = await base
          .select([
            'd.id',
            'd.event_id',
            'e.type',
            'd.status',
            'd.attempts',
            'd.response_code',
            'd.duration_ms',
            'd.error',
            'd.last_attempt_at',
            'd.created_at',
          ])
          .orderBy('d.id', 'desc')
          .limit(query.limit)
          .offset(offsetOf(query))
          .execute();
        const data = rows.map((r) => ({ ...r, last_attempt_at: laravelTime(r.last_attempt_at), created_at: laravelTime(r.created_at) }));
        return toPage(data, Number(total), query, pageUrl(deps.config.api.publicBaseUrl, req));
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
        const delivery = await deps.db
          .selectFrom('webhook_deliveries')
          .select('id')
          .where('id', '=', params.deliveryId)
          .where('endpoint_id', '=', params.id)
          .executeTakeFirst();
        if (!delivery || !(await resendDelivery(deps.db, deps.temporal.client, deps.taskQueue, auth.store.id, delivery.id)))
          throw notFound('Delivery');
        return { data: { id: delivery.id, status: 'pending' } };
      },
    });
}
