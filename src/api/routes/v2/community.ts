import { z } from 'zod';
import { communityAdapter } from '../../../community/adapters';
import { type ConnectInput, connectionView, connectPlatform, listConnections } from '../../../community/connections';
import { discordCredentials, slackCredentials, whatsappCredentials } from '../../../community/connection-credentials';
import {
  addSpace,
  checkSpaceHealth,
  type CommunityServices,
  listSpaces,
  loadConnection,
  loadSpace,
  removeSpace,
  spaceView,
} from '../../../community/spaces';
import { communityWaitHours, setCommunityWaitHours } from '../../../community/wait-setting';
import { CommunityConflictError } from '../../../community/errors';
import { connectCodeStatus, issueConnectCode } from '../../../community/telegram-connect';
import type { SecretBox } from '../../../security/secret-box';
import type { ApiDependencies } from '../../context';
import { validationFailed } from '../../errors';
import type { DocumentedRouter } from '../../route';
import { rowId } from '../../schemas/common';

const platformParam = z.object({ platform: z.enum(['discord', 'slack', 'whatsapp']) });
const spaceParams = z.object({ space: rowId });
const slackInviteUrl = z
  .string()
  .url()
  .refine((u) => u.startsWith('https://'), 'an https:// workspace invite link (https://join.slack.com/t/…)');

const connectBodies = {
  discord: z.discriminatedUnion('bot_mode', [
    z.object({ bot_mode: z.literal('official') }).strict(),
    discordCredentials.extend({ bot_mode: z.literal('custom') }).strict(),
  ]),
  slack: slackCredentials.extend({ invite_url: slackInviteUrl }).strict(),
  whatsapp: whatsappCredentials.strict(),
};

function connectInput(platform: 'discord' | 'slack' | 'whatsapp', body: unknown): ConnectInput {
  const fail = (error: z.ZodError) => validationFailed(error, 'body');
  if (platform === 'discord') {
    const parsed = connectBodies.discord.safeParse(body);
    if (!parsed.success) throw fail(parsed.error);
    return { platform, ...parsed.data };
  }
  if (platform === 'slack') {
    const parsed = connectBodies.slack.safeParse(body);
    if (!parsed.success) throw fail(parsed.error);
    return { platform, ...parsed.data };
  }
  const parsed = connectBodies.whatsapp.safeParse(body);
  if (!parsed.success) throw fail(parsed.error);
  return { platform, ...parsed.data };
}

const connectionResponse = z
  .object({ platform: z.string(), bot_mode: z.string(), account_id: z.string().nullable(), account_name: z.string().nullable() })
  .passthrough()
  .openapi('CommunityConnection');
const spaceResponse = z
  .object({ id: z.number(), platform: z.string(), external_id: z.string(), health: z.object({ status: z.string() }).passthrough() })
  .passthrough()
  .openapi('CommunitySpace');

/**
 * Community settings: the platforms a store connects (encrypted credentials, checked before
 * they are kept), the guilds / chats / channels / groups it sells, and their health.
 */
export function registerCommunityRoutes(router: DocumentedRouter, deps: ApiDependencies, secrets: SecretBox): void {
  const services: CommunityServices = { db: deps.db, secrets, config: deps.config.community };

  router
    .route({
      method: 'get',
      path: '/community/connections',
      summary: 'The platforms this store has connected (never their credentials)',
      tags: ['Community'],
      scope: 'community:write',
      response: z.object({ data: z.array(connectionResponse) }),
      handler: async ({ auth }) => ({ data: (await listConnections(deps.db, auth.store.id)).map(connectionView) }),
    })
    .route({
      method: 'put',
      path: '/community/connections/:platform',
      summary:
        'Connect Discord (official or custom bot), Slack (token + workspace invite link) or WhatsApp (Cloud API number); the credentials are checked, then kept encrypted',
      tags: ['Community'],
      scope: 'community:write',
      params: platformParam,
      // Checked per platform in the handler, so a missing field is named as such.
      body: z.record(z.string(), z.unknown()).openapi({
        description:
          'discord: {bot_mode: official} or {bot_mode: custom, client_id, client_secret, bot_token}; slack: {token, invite_url}; whatsapp: {access_token, phone_number_id}',
      }),
      response: z.object({ data: connectionResponse }),
      handler: async ({ auth, params, body }) => {
        return { data: connectionView(await connectPlatform(services, auth.store.id, connectInput(params.platform, body))) };
      },
    })
    .route({
      method: 'get',
      path: '/community/connections/:platform/available',
      summary: 'Guilds, channels or groups the connected bot can manage (what "Add server / channel / group" offers)',
      tags: ['Community'],
      scope: 'community:write',
      params: platformParam,
      response: z.object({ data: z.array(z.object({ id: z.string(), name: z.string() })) }),
      handler: async ({ auth, params }) => {
        const connection = await loadConnection(deps.db, auth.store.id, params.platform);
        // The official bot is in every store's servers: listing them would show them all.
        if (connection.bot_mode === 'official' && params.platform === 'discord') {
          throw new CommunityConflictError(
            'shared_bot',
            'The official bot serves many stores, so its servers are not listed; invite it to your server and add the server by id',
            'platform',
          );
        }
        return { data: await communityAdapter(services.config, secrets, connection).listSpaces() };
      },
    })
    .route({
      method: 'post',
      path: '/community/telegram/connect-codes',
      summary: 'Start connecting a Telegram group or channel: a code to post there once our bot is an admin',
      tags: ['Community'],
      scope: 'community:write',
      status: 201,
      response: z.object({
        data: z.object({
          id: z.number(),
          code: z.string(),
          expires_at: z.string(),
          bot_username: z.string().nullable(),
          instructions: z.string(),
        }),
      }),
      handler: async ({ auth }) => {
        return { data: await issueConnectCode(services, auth.store.id) };
      },
    })
    .route({
      method: 'get',
      path: '/community/telegram/connect-codes/:code',
      summary: 'Live status of a Telegram connect code: pending, connected (with the space), or expired',
      tags: ['Community'],
      scope: 'community:write',
      params: z.object({ code: rowId }),
      response: z.object({
        data: z.object({ id: z.number(), status: z.string(), space_id: z.number().nullable(), expires_at: z.string() }),
      }),
      handler: async ({ auth, params }) => ({ data: await connectCodeStatus(deps.db, auth.store.id, params.code) }),
    })
    .route({
      method: 'get',
      path: '/community/spaces',
      summary: "The store's guilds, chats, channels and groups with their health and the products each problem affects",
      tags: ['Community'],
      scope: 'community:write',
      query: z.object({ platform: z.enum(['discord', 'telegram', 'slack', 'whatsapp']).optional() }),
      response: z.object({ data: z.array(spaceResponse) }),
      handler: async ({ auth, query }) => {
        const spaces = await listSpaces(deps.db, auth.store.id, query.platform);
        return { data: await Promise.all(spaces.map((s) => spaceView(deps.db, s))) };
      },
    })
    .route({
      method: 'post',
      path: '/community/spaces',
      summary: 'Add a Discord guild, Slack channel or WhatsApp group the connected bot can see (Telegram chats connect by code)',
      tags: ['Community'],
      scope: 'community:write',
      body: z.discriminatedUnion('platform', [
        z.object({ platform: z.literal('discord'), external_id: z.string().regex(/^\d{15,21}$/, 'a Discord guild id (a snowflake)') }),
        z.object({ platform: z.literal('slack'), external_id: z.string().regex(/^[CG][A-Z0-9]{5,20}$/, 'a Slack channel id (C… or G…)') }),
        z.object({ platform: z.literal('whatsapp'), external_id: z.string().regex(/^\d{5,40}$/, 'a WhatsApp group id (digits)') }),
      ]),
      status: 201,
      response: z.object({ data: spaceResponse }),
      handler: async ({ auth, body }) => {
        return { data: await spaceView(deps.db, await addSpace(services, auth.store.id, body.platform, body.external_id)) };
      },
    })
    .route({
      method: 'get',
      path: '/community/spaces/:space',
      summary: 'One space with its synced roles and last health check',
      tags: ['Community'],
      scope: 'community:write',
      params: spaceParams,
      response: z.object({ data: spaceResponse }),
      handler: async ({ auth, params }) => ({ data: await spaceView(deps.db, await loadSpace(deps.db, auth.store.id, params.space)) }),
    })
    .route({
      method: 'post',
      path: '/community/spaces/:space/health-check',
      summary: 'Check Health (and Sync Roles): bot rights, Discord role hierarchy, Slack membership, WhatsApp admin and approval mode',
      tags: ['Community'],
      scope: 'community:write',
      params: spaceParams,
      response: z.object({ data: spaceResponse }),
      handler: async ({ auth, params }) => ({
        data: await spaceView(deps.db, await checkSpaceHealth(services, auth.store.id, params.space)),
      }),
    })
    .route({
      method: 'delete',
      path: '/community/spaces/:space',
      summary: 'Stop selling a space (refused while a variant still grants it); existing grants keep running',
      tags: ['Community'],
      scope: 'community:write',
      params: spaceParams,
      response: z.object({ data: spaceResponse }),
      handler: async ({ auth, params }) => {
        const space = await removeSpace(deps.db, auth.store.id, params.space);
        return { data: await spaceView(deps.db, space) };
      },
    })
    .route({
      method: 'get',
      path: '/community/settings',
      summary: 'How long a grant waits for the customer (join, link) before it needs manual action',
      tags: ['Community'],
      scope: 'community:write',
      response: z.object({ data: z.object({ wait_hours: z.number() }) }),
      handler: async ({ auth }) => {
        return { data: { wait_hours: await communityWaitHours(deps.db, auth.store.id) } };
      },
    })
    .route({
      method: 'put',
      path: '/community/settings',
      summary: 'Set how long grants wait for the customer (1 hour to 90 days; default 7 days)',
      tags: ['Community'],
      scope: 'community:write',
      body: z.object({
        wait_hours: z
          .number()
          .int()
          .min(1)
          .max(90 * 24),
      }),
      response: z.object({ data: z.object({ wait_hours: z.number() }) }),
      handler: async ({ auth, body }) => {
        await setCommunityWaitHours(deps.db, auth.store.id, body.wait_hours);
        return { data: { wait_hours: body.wait_hours } };
      },
    });
}
