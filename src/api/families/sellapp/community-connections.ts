import { z } from 'zod';
import { completeConnection, connectionStatus, startConnection } from '../../../community/official-connect-flow';
import { disconnectPlatform, listOfficialConnections, verifyConnection } from '../../../community/official-connections';
import { CommunityGrantWorkflows } from '../../../community/grant-workflow-client';
import type { CommunityServices } from '../../../community/spaces';
import type { SecretBox } from '../../../security/secret-box';
import type { ApiDependencies } from '../../context';
import type { DocumentedRouter } from '../../route';

const platformParam = z.object({ platform: z.enum(['discord', 'telegram', 'slack', 'whatsapp']) });
const open = z.object({}).passthrough();
const one = z.object({ data: open });

/**
 * `/v2/community-connections`: the official SDKs' view of the platforms a store connected, over
 * the same connections and spaces as `/v2/community/…`. Credentials are taken once, sealed, and
 * never shown; `verify` checks them with the platform.
 */
export function registerCommunityConnectionRoutes(router: DocumentedRouter, deps: ApiDependencies, secrets: SecretBox): void {
  const services: CommunityServices = { db: deps.db, secrets, config: deps.config.community };
  const grants = new CommunityGrantWorkflows(deps.temporal.client, deps.taskQueue, deps.config.community);
  const common = { tags: ['Community connections'], scope: 'community:write' as const };

  router
    .route({
      ...common,
      method: 'get',
      path: '/community-connections',
      summary: 'Each platform: connected or not, the bot / app account, servers and their health, waiting and failed grants',
      response: z.object({ data: z.array(open) }),
      handler: async ({ auth }) => ({ data: await listOfficialConnections(deps.db, auth.store.id) }),
    })
    .route({
      ...common,
      method: 'post',
      path: '/community-connections/:platform/connect',
      summary:
        'Connect: Discord (mode official_bot, or custom_bot with client_id, client_secret, bot_token), Slack (token, invite_url), WhatsApp (access_token, phone_number_id); Telegram answers a code to post in the group',
      params: platformParam,
      body: z
        .object({ mode: z.enum(['account', 'official_bot', 'custom_bot']).optional() })
        .catchall(z.unknown())
        .openapi('StartCommunityConnection'),
      response: one,
      handler: async ({ auth, params, body }) => ({ data: await startConnection(services, auth.store.id, params.platform, body) }),
    })
    .route({
      ...common,
      method: 'get',
      path: '/community-connections/:platform/status',
      summary: 'Poll a Telegram code or a WhatsApp connection with the status token connect gave',
      params: platformParam,
      query: z.object({ status_token: z.string().min(1).max(4096) }),
      response: one,
      handler: async ({ auth, params, query }) => ({
        data: await connectionStatus(services, auth.store.id, params.platform, query.status_token),
      }),
    })
    .route({
      ...common,
      method: 'post',
      path: '/community-connections/:platform/complete',
      summary: 'WhatsApp: add one of the groups the status listed',
      params: platformParam,
      body: z.object({ status_token: z.string().min(1).max(4096), server_id: z.string().min(1).max(255) }),
      response: one,
      handler: async ({ auth, params, body }) => ({ data: await completeConnection(services, auth.store.id, params.platform, body) }),
    })
    .route({
      ...common,
      method: 'post',
      path: '/community-connections/:platform/verify',
      summary: 'Check the credentials with the platform and every server’s health, then retry grants failed on servers healthy now',
      params: platformParam,
      response: one,
      handler: async ({ auth, params }) => ({ data: await verifyConnection(services, grants, auth.store.id, params.platform) }),
    })
    .route({
      ...common,
      method: 'delete',
      path: '/community-connections/:platform',
      summary: 'Disconnect: the platform’s servers stop being sold (refused while a variant grants one); asking twice changes nothing',
      params: platformParam,
      response: one,
      handler: async ({ auth, params }) => ({ data: await disconnectPlatform(deps.db, auth.store.id, params.platform) }),
    });
}
