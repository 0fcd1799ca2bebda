import { z } from 'zod';
import { rowId } from '../../schemas/common';
import { laravelTime } from '../../../catalog/views/timestamps';
import { SUBSCRIBABLE_EVENTS } from '../../../events/catalog';
import type { SecretBox } from '../../../security/secret-box';
import { type NotificationSettings, sendNotification } from '../../../webhooks/notifications';
import { addChannel, findChannel, listChannels, removeChannel } from '../../../webhooks/notification-channels';
import type { ApiDependencies } from '../../context';
import { ApiError, notFound } from '../../errors';
import type { RequestAuth } from '../../middleware/authenticate';
import type { DocumentedRouter } from '../../route';

const discordWebhook = z
  .string()
  .url()
  .refine(
    (u) => /^https:\/\/(discord\.com|discordapp\.com|canary\.discord\.com)\/api\/webhooks\/\d+\/[\w-]+$/.test(u),
    'a Discord channel webhook URL (https://discord.com/api/webhooks/<id>/<token>)',
  );

const channelBody = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('discord'),
    name: z.string().max(100).optional(),
    webhook_url: discordWebhook,
    events: z.array(z.enum(SUBSCRIBABLE_EVENTS)).min(1),
  }),
  z.object({
    kind: z.literal('email'),
    name: z.string().max(100).optional(),
    to: z.array(z.string().email()).min(1).max(10),
    events: z.array(z.enum(SUBSCRIBABLE_EVENTS)).min(1),
  }),
]);
const channelView = z
  .object({ id: z.number(), kind: z.string(), events: z.array(z.string()) })
  .passthrough()
  .openapi('NotificationChannel');
const channelParams = z.object({ id: rowId });

/** Store notifications (Discord channels, e-mail), delivered like webhooks. */
export function registerNotificationRoutes(router: DocumentedRouter, deps: ApiDependencies, secrets: SecretBox): void {
  const present = (
    row: { id: number; kind: string; name: string | null; events: string[]; created_at: Date },
    settings: NotificationSettings,
  ) => ({
    id: row.id,
    kind: row.kind,
    name: row.name,
    events: row.events,
    // The Discord URL carries a token: only its tail is shown.
    target: row.kind === 'email' ? settings.to : `…${settings.webhook_url?.slice(-6)}`,
    created_at: laravelTime(row.created_at),
  });
  const load = async (auth: RequestAuth, id: number) => {
    const channel = await findChannel(deps.db, secrets, auth.store.id, auth.livemode, id);
    if (!channel) throw notFound('Notification channel');
    return channel;
  };

  router
    .route({
      method: 'post',
      path: '/notifications',
      summary: 'Add a Discord or e-mail notification channel for chosen events',
      tags: ['Notifications'],
      scope: 'webhooks:write',
      modes: 'both',
      body: channelBody,
      status: 201,
      response: z.object({ data: channelView }),
      handler: async ({ auth, body }) => {
        const settings: NotificationSettings = body.kind === 'discord' ? { webhook_url: body.webhook_url } : { to: body.to };
        const { row } = await addChannel(deps.db, secrets, auth.store.id, auth.livemode, { ...body, settings });
        return { data: present(row, settings) };
      },
    })
    .route({
      method: 'get',
      path: '/notifications',
      summary: 'List notification channels',
      tags: ['Notifications'],
      scope: 'webhooks:write',
      response: z.object({ data: z.array(channelView) }),
      handler: async ({ auth }) => {
        const channels = await listChannels(deps.db, secrets, auth.store.id, auth.livemode);
        return { data: channels.map(({ row, settings }) => present(row, settings)) };
      },
    })
    .route({
      method: 'delete',
      path: '/notifications/:id',
      summary: 'Remove a notification channel',
      tags: ['Notifications'],
      scope: 'webhooks:write',
      modes: 'both',
      params: channelParams,
      response: z.object({ data: channelView }),
      handler: async ({ auth, params }) => {
        const { row, settings } = await load(auth, params.id);
        await removeChannel(deps.db, params.id);
        return { data: present(row, settings) };
      },
    })
    .route({
      method: 'post',
      path: '/notifications/:id/test',
      summary: 'Send a test notification now',
      tags: ['Notifications'],
      scope: 'webhooks:write',
      modes: 'both',
      params: channelParams,
      response: z.object({ data: z.object({ sent: z.literal(true) }) }),
      handler: async ({ auth, params }) => {
        const { row, settings } = await load(auth, params.id);
        try {
          const lines = [`store: ${auth.store.slug}`, 'If you can read this, the channel works.'];
          const message = { title: 'Sellflow test notification', lines };
          const guard = { allowPrivate: deps.config.webhooks.allowPrivateNetworks };
          await sendNotification(row.kind, settings, message, deps.config.notifications, guard);
        } catch (error) {
          // The channel's server (SMTP, Discord) refused or could not be reached: a bad gateway, as the status says.
          const reason = error instanceof Error ? error.message : String(error);
          throw new ApiError('bad_gateway', 'notification_failed', `The test notification failed: ${reason}`);
        }
        return { data: { sent: true as const } };
      },
    });
}
