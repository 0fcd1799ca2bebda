import { z } from 'zod';
import type { SecretBox } from '../../../security/secret-box';
import { CHANNEL_EVENTS } from '../../../webhooks/channels';
import {
  createNotificationChannel,
  deleteNotificationChannel,
  listNotificationChannels,
  loadNotificationChannel,
  notificationChannelView,
  updateNotificationChannel,
} from '../../../webhooks/notification-channels';
import { DISCORD_WEBHOOK_URL } from '../../../webhooks/notifications';
import type { ApiDependencies } from '../../context';
import type { RequestAuth } from '../../middleware/authenticate';
import type { DocumentedRouter } from '../../route';

const channelFields = z
  .object({
    type: z.enum(['email', 'discord']),
    email: z.email(),
    channel: z.string().min(1).max(100),
    webhook: z.url().regex(DISCORD_WEBHOOK_URL, 'a Discord channel webhook URL (https://discord.com/api/webhooks/<id>/<token>)'),
    allowed_notifications: z.array(z.enum(CHANNEL_EVENTS)).min(1),
  })
  .partial()
  .strict();
const body = z.object({ channel: channelFields }).strict();
const params = z.object({ notificationChannel: z.string().min(1).max(64) });
const view = z
  .object({
    id: z.string(),
    type: z.enum(['email', 'discord']),
    email: z.string().nullable(),
    channel: z.string().nullable(),
    webhook_configured: z.boolean(),
    allowed_notifications: z.array(z.string()),
  })
  .openapi('StoreNotificationChannel');
const one = z.object({ data: view });

/**
 * SellApp's store notification channels: the e-mail and Discord channels of the key's mode
 * (/v2/notifications serves the same rows in Sellflow's own model).
 */
export function registerNotificationChannelRoutes(router: DocumentedRouter, deps: ApiDependencies, secrets: SecretBox): void {
  const scope = (auth: RequestAuth) => ({ storeId: auth.store.id, livemode: auth.livemode });
  const common = { tags: ['Notification channels'], scope: 'webhooks:write' as const, modes: 'both' as const };
  const present = (row: Parameters<typeof notificationChannelView>[0]) => ({ data: notificationChannelView(row, secrets) });

  router
    .route({
      ...common,
      method: 'get',
      path: '/store/notification-channels',
      summary: 'List notification channels (Discord webhook URLs never shown)',
      response: z.object({ data: z.array(view) }),
      handler: async ({ auth }) => ({
        data: (await listNotificationChannels(deps.db, scope(auth))).map((row) => notificationChannelView(row, secrets)),
      }),
    })
    .route({
      ...common,
      method: 'post',
      path: '/store/notification-channels',
      summary: 'Add an e-mail or Discord notification channel',
      body,
      status: 201,
      response: one,
      handler: async ({ auth, body }) => present(await createNotificationChannel(deps.db, secrets, scope(auth), body.channel)),
    })
    .route({
      ...common,
      method: 'get',
      path: '/store/notification-channels/:notificationChannel',
      summary: 'Retrieve a notification channel',
      params,
      response: one,
      handler: async ({ auth, params }) => present(await loadNotificationChannel(deps.db, scope(auth), params.notificationChannel)),
    })
    .route({
      ...common,
      // PUT sends the whole channel, PATCH a part: the same change over the stored channel.
      method: ['put', 'patch'],
      path: '/store/notification-channels/:notificationChannel',
      summary: 'Change a notification channel',
      params,
      body,
      response: one,
      handler: async ({ auth, params, body }) =>
        present(await updateNotificationChannel(deps.db, secrets, scope(auth), params.notificationChannel, body.channel)),
    })
    .route({
      ...common,
      method: 'delete',
      path: '/store/notification-channels/:notificationChannel',
      summary: 'Remove a notification channel',
      params,
      response: one,
      handler: async ({ auth, params }) => present(await deleteNotificationChannel(deps.db, scope(auth), params.notificationChannel)),
    });
}
