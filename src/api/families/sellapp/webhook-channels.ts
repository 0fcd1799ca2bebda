import { z } from 'zod';
import type { SecretBox } from '../../../security/secret-box';
import {
  CHANNEL_EVENTS,
  channelView,
  channelsMatching,
  channelsOf,
  createChannel,
  deleteChannel,
  loadChannel,
  rotateSigningSecret,
  selectChannel,
  sendTestWebhook,
  updateChannel,
} from '../../../webhooks/channels';
import type { ApiDependencies } from '../../context';
import type { RequestAuth } from '../../middleware/authenticate';
import { pagedSearch } from '../../paged-search';
import { pageQuery, pageUrl } from '../../pagination';
import type { DocumentedRouter } from '../../route';

const events = z.array(z.enum(CHANNEL_EVENTS)).min(1);
const url = z
  .url()
  .max(2048)
  .refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL');
const name = z.string().max(100).nullable();
const channelParams = z.object({ webhookChannel: z.string().min(1).max(64) });
const channel = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    url: z.string(),
    allowed_notifications: z.array(z.string()),
    signing_secret_configured: z.boolean(),
  })
  .passthrough()
  .openapi('WebhookChannel');
const one = z.object({ data: channel });
const list = z.object({ data: z.array(channel) }).passthrough();

/**
 * SellApp's webhook channels (/v2/webhook-channels): the store's webhook endpoints of the key's
 * mode, under the spec's model; /v2/webhooks serves the same rows in Sellflow's own.
 */
export function registerWebhookChannelRoutes(router: DocumentedRouter, deps: ApiDependencies, secrets: SecretBox): void {
  const scope = (auth: RequestAuth) => ({ storeId: auth.store.id, livemode: auth.livemode });
  const common = { tags: ['Webhook channels'], scope: 'webhooks:write' as const, modes: 'both' as const };
  const page = (from: ReturnType<typeof channelsOf>, query: z.infer<typeof pageQuery>, path: string) =>
    pagedSearch({ from, rows: selectChannel, order: [['id', 'asc']], page: query, path, view: (rows) => rows.map(channelView) });

  router
    .route({
      ...common,
      method: 'get',
      path: '/webhook-channels',
      summary: 'List webhook channels',
      query: pageQuery,
      response: list,
      handler: ({ auth, query, req }) => page(channelsOf(deps.db, scope(auth)), query, pageUrl(deps.config.api.publicBaseUrl, req)),
    })
    .route({
      ...common,
      method: 'post',
      path: '/webhook-channels/search',
      summary: 'Search webhook channels by name or URL, or by a subscribed event',
      body: z
        .object({
          search: z.object({ value: z.string().max(255).nullable().optional() }).optional(),
          event: z.enum(CHANNEL_EVENTS).nullable().optional(),
          page: z.number().int().min(1).default(1),
          limit: z.number().int().min(1).max(100).default(15),
        })
        .strict(),
      response: list,
      handler: ({ auth, body, req }) =>
        page(
          channelsMatching(deps.db, scope(auth), { value: body.search?.value, event: body.event }),
          { page: body.page, limit: body.limit },
          pageUrl(deps.config.api.publicBaseUrl, req),
        ),
    })
    .route({
      ...common,
      method: 'post',
      path: '/webhook-channels',
      summary: 'Add a webhook channel (signed with the store’s signing secret, once one is set)',
      body: z.object({ name: name.optional(), url, allowed_notifications: events }).strict(),
      status: 201,
      response: one,
      handler: async ({ auth, body }) => ({ data: channelView(await createChannel(deps.db, secrets, scope(auth), body)) }),
    })
    .route({
      ...common,
      method: 'put',
      path: '/webhook-channels/signing-secret',
      summary: 'Set the store’s webhook signing secret (write-only; every channel of this mode signs with it)',
      body: z.object({ signing_secret: z.string().min(32).max(255) }).strict(),
      response: z.object({ data: z.object({ signing_secret_configured: z.literal(true) }) }),
      handler: async ({ auth, body }) => {
        await rotateSigningSecret(deps.db, secrets, scope(auth), body.signing_secret);
        return { data: { signing_secret_configured: true as const } };
      },
    })
    .route({
      ...common,
      method: 'get',
      path: '/webhook-channels/:webhookChannel',
      summary: 'Retrieve a webhook channel',
      params: channelParams,
      response: one,
      handler: async ({ auth, params }) => ({ data: channelView(await loadChannel(deps.db, scope(auth), params.webhookChannel)) }),
    })
    .route({
      ...common,
      method: 'put',
      path: '/webhook-channels/:webhookChannel',
      summary: 'Replace a webhook channel (name, url and allowed_notifications all given)',
      params: channelParams,
      body: z.object({ name, url, allowed_notifications: events }).strict(),
      response: one,
      handler: async ({ auth, params, body }) => ({
        data: channelView(await updateChannel(deps.db, scope(auth), params.webhookChannel, body)),
      }),
    })
    .route({
      ...common,
      method: 'patch',
      path: '/webhook-channels/:webhookChannel',
      summary: 'Change a webhook channel (allowed_notifications replaces the whole filter)',
      params: channelParams,
      body: z.object({ name: name.optional(), url: url.optional(), allowed_notifications: events.optional() }).strict(),
      response: one,
      handler: async ({ auth, params, body }) => ({
        data: channelView(await updateChannel(deps.db, scope(auth), params.webhookChannel, body)),
      }),
    })
    .route({
      ...common,
      method: 'delete',
      path: '/webhook-channels/:webhookChannel',
      summary: 'Remove a webhook channel',
      params: channelParams,
      response: one,
      handler: async ({ auth, params }) => ({ data: channelView(await deleteChannel(deps.db, scope(auth), params.webhookChannel)) }),
    })
    .route({
      ...common,
      method: 'post',
      path: '/webhook-channels/:webhookChannel/test',
      summary: 'Send one signed test delivery of a subscribed event now (not retried, not recorded)',
      params: channelParams,
      body: z.object({ event: z.enum(CHANNEL_EVENTS) }).strict(),
      response: z.object({
        data: z.object({
          channel_id: z.string(),
          event: z.string(),
          status: z.enum(['succeeded', 'failed']),
          response_status: z.number().nullable(),
        }),
      }),
      handler: async ({ auth, params, body }) => ({
        data: await sendTestWebhook(
          { db: deps.db, secrets, allowPrivateNetworks: deps.config.webhooks.allowPrivateNetworks },
          scope(auth),
          params.webhookChannel,
          body.event,
        ),
      }),
    });
}
