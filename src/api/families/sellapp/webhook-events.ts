import { z } from 'zod';
import { eventTypes, listEvents } from '../../../events/integration-events';
import { deliveriesOf, deliveryView, loadDelivery, replayDelivery, selectDelivery } from '../../../webhooks/delivery-log';
import type { ApiDependencies } from '../../context';
import type { RequestAuth } from '../../middleware/authenticate';
import { pagedSearch } from '../../paged-search';
import { pageQuery, pageUrl } from '../../pagination';
import type { DocumentedRouter } from '../../route';

const delivery = z
  .object({
    id: z.string(),
    event_id: z.string(),
    event_type: z.string(),
    status: z.string(),
    destination_origin: z.string(),
    attempts: z.number(),
    response_status: z.number().nullable(),
    response_body: z.null(),
  })
  .passthrough()
  .openapi('WebhookDelivery');
const deliveryParams = z.object({ delivery: z.string().min(1).max(64) });
const integrationEvent = z
  .object({
    id: z.string(),
    type: z.string(),
    version: z.number(),
    store_id: z.string(),
    occurred_at: z.string(),
    subject: z.object({ type: z.string(), id: z.string() }),
    data: z.record(z.string(), z.unknown()),
  })
  .openapi('IntegrationEvent');

/** SellApp's event log and webhook delivery records: the event types, the events, the deliveries and their replay. */
export function registerWebhookEventRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  const scope = (auth: RequestAuth) => ({ storeId: auth.store.id, livemode: auth.livemode });
  const common = { scope: 'webhooks:write' as const, modes: 'both' as const };

  router
    .route({
      ...common,
      method: 'get',
      path: '/webhook-event-types',
      summary: 'The event types a webhook channel may subscribe to',
      tags: ['Events'],
      response: z.object({ data: z.array(z.object({ type: z.string(), version: z.number(), description: z.string() })) }),
      handler: async () => ({ data: eventTypes() }),
    })
    .route({
      ...common,
      method: 'get',
      path: '/events',
      summary: 'The store’s events of the key’s mode, newest first (cursor: `after` is the last id of the previous page)',
      tags: ['Events'],
      query: z.object({ after: z.string().max(64).optional(), limit: z.coerce.number().int().min(1).max(100).default(15) }),
      response: z.object({
        data: z.array(integrationEvent),
        meta: z.object({ next_cursor: z.string(), has_more: z.boolean(), retention_days: z.number() }),
      }),
      handler: ({ auth, query }) => listEvents(deps.db, scope(auth), query),
    })
    .route({
      ...common,
      method: 'get',
      path: '/webhook-deliveries',
      summary: 'Deliveries to the store’s webhook channels, newest first',
      tags: ['Webhook channels'],
      query: pageQuery,
      response: z.object({ data: z.array(delivery) }).passthrough(),
      handler: ({ auth, query, req }) =>
        pagedSearch({
          from: deliveriesOf(deps.db, scope(auth)),
          rows: selectDelivery,
          order: [['d.id', 'desc']],
          page: query,
          path: pageUrl(deps.config.api.publicBaseUrl, req),
          view: (rows) => rows.map(deliveryView),
        }),
    })
    .route({
      ...common,
      method: 'get',
      path: '/webhook-deliveries/:delivery',
      summary: 'Retrieve a webhook delivery',
      tags: ['Webhook channels'],
      params: deliveryParams,
      response: z.object({ data: delivery }),
      handler: async ({ auth, params }) => ({ data: deliveryView(await loadDelivery(deps.db, scope(auth), params.delivery)) }),
    })
    .route({
      ...common,
      method: 'post',
      path: '/webhook-deliveries/:delivery/replay',
      summary: 'Deliver the event again to its channel, signed anew (no overrides)',
      tags: ['Webhook channels'],
      params: deliveryParams,
      body: z.object({}).strict(),
      status: 201,
      response: z.object({ data: delivery }),
      handler: async ({ auth, params }) => ({
        data: deliveryView(await replayDelivery(deps.db, deps.temporal.client, deps.taskQueue, scope(auth), params.delivery)),
      }),
    });
}
