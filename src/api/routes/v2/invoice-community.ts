import { z } from 'zod';
import {
  communityLinkSteps,
  findLinkInvoice,
  setWhatsAppPhone,
  startDiscordLink,
  startTelegramLink,
  waitingGrants,
} from '../../../community/customer-links';
import { retryGrant, revokeGrant } from '../../../community/grant-ops';
import { invoiceGrants } from '../../../community/grant-view';
import { CommunityGrantWorkflows } from '../../../community/grant-workflow-client';
import type { CommunityServices } from '../../../community/spaces';
import type { SecretBox } from '../../../security/secret-box';
import type { ApiDependencies } from '../../context';
import { notFound } from '../../errors';
import type { RequestAuth } from '../../middleware/authenticate';
import type { DocumentedRouter, RouteContext } from '../../route';
import { rowId } from '../../schemas/common';

const invoiceParams = z.object({ invoice: rowId });
const grantParams = z.object({ invoice: rowId, grant: rowId });
const grantView = z
  .object({
    id: z.number(),
    platform: z.string(),
    status: z.string(),
    reason: z.string().nullable(),
    history: z.array(z.object({}).passthrough()),
  })
  .passthrough()
  .openapi('CommunityGrant');
const panelView = z.object({
  links: z.array(z.object({ platform: z.string(), required: z.boolean(), linked: z.boolean() }).passthrough()),
  grants: z.array(grantView),
});

/** The path the Discord OAuth2 callback is served on (registered as the app's redirect URL). */
export const DISCORD_CALLBACK_PATH = '/community/discord/callback';

/**
 * An invoice's community side: the customer's linking steps at checkout (Discord OAuth2,
 * Telegram deep link, WhatsApp number), and the grants with their state, for the seller and ops.
 */
export function registerInvoiceCommunityRoutes(router: DocumentedRouter, deps: ApiDependencies, secrets: SecretBox): void {
  const services: CommunityServices = { db: deps.db, secrets, config: deps.config.community };
  const grants = new CommunityGrantWorkflows(deps.temporal.client, deps.taskQueue, deps.config.community);
  const requireInvoice = async (auth: RequestAuth, id: number) => {
    const invoice = await findLinkInvoice(deps.db, auth.store.id, auth.livemode, id);
    if (!invoice) throw notFound('Invoice');
    return invoice;
  };
  const panel = async (invoiceId: number) => ({
    links: await communityLinkSteps(deps.db, invoiceId),
    grants: await invoiceGrants(deps.db, invoiceId),
  });
  /** Ops' hands on one grant: the work is under way when it answers (202), with the invoice's panel as it now is. */
  const grantOp = {
    method: 'post' as const,
    tags: ['Community'],
    scope: 'ops:write' as const,
    modes: 'both' as const,
    params: grantParams,
    status: 202,
    response: z.object({ data: panelView }),
  };
  const onGrant =
    (act: (invoiceId: number, grantId: number) => Promise<unknown>) =>
    async ({ auth, params }: RouteContext<z.infer<typeof grantParams>, undefined, undefined>) => {
      const invoice = await requireInvoice(auth, params.invoice);
      await act(invoice.id, params.grant);
      return { data: await panel(invoice.id) };
    };

  router
    .route({
      method: 'get',
      path: '/invoices/:invoice/community',
      summary: 'Community Access: the linking steps (required or optional, done or not) and every grant with its state and history',
      tags: ['Community'],
      scope: 'invoices:read',
      params: invoiceParams,
      response: z.object({ data: panelView }),
      handler: async ({ auth, params }) => ({ data: await panel((await requireInvoice(auth, params.invoice)).id) }),
    })
    .route({
      method: 'post',
      path: '/invoices/:invoice/community/discord/authorize',
      summary: "Start the customer's Discord linking: an OAuth2 URL (identify, guilds.join) that returns to our callback",
      tags: ['Community'],
      scope: 'invoices:write',
      modes: 'both',
      params: invoiceParams,
      response: z.object({ data: z.object({ authorize_url: z.string() }) }),
      handler: async ({ auth, params }) => {
        const invoice = await requireInvoice(auth, params.invoice);
        return { data: await startDiscordLink(services, invoice, `${deps.config.api.publicBaseUrl}${DISCORD_CALLBACK_PATH}`) };
      },
    })
    .route({
      method: 'post',
      path: '/invoices/:invoice/community/telegram/link',
      summary: "Start the customer's Telegram linking: a deep link to our bot whose /start binds their account",
      tags: ['Community'],
      scope: 'invoices:write',
      modes: 'both',
      params: invoiceParams,
      response: z.object({ data: z.object({ link: z.string() }) }),
      handler: async ({ auth, params }) => ({ data: await startTelegramLink(services, await requireInvoice(auth, params.invoice)) }),
    })
    .route({
      method: 'put',
      path: '/invoices/:invoice/community/whatsapp',
      summary: 'The WhatsApp number the customer confirmed: only a join request from it is approved',
      tags: ['Community'],
      scope: 'invoices:write',
      modes: 'both',
      params: invoiceParams,
      body: z.object({ phone: z.string().min(4).max(32) }),
      response: z.object({ data: z.object({ phone: z.string() }) }),
      handler: async ({ auth, params, body }) => {
        const invoice = await requireInvoice(auth, params.invoice);
        const phone = await setWhatsAppPhone(deps.db, invoice, body.phone);
        await grants.customerActed(await waitingGrants(deps.db, invoice.id, 'whatsapp'));
        return { data: { phone } };
      },
    })
    .route({
      ...grantOp,
      path: '/invoices/:invoice/community/grants/:grant/retry',
      summary: 'Ops: try a grant again (after fixing the setup, or to give the customer a new waiting window), or a revocation that failed',
      handler: onGrant((invoiceId, grantId) => retryGrant(deps.db, grants, invoiceId, grantId)),
    })
    .route({
      ...grantOp,
      path: '/invoices/:invoice/community/grants/:grant/revoke',
      summary: 'Ops: take the access away now (kick / remove roles) and end the grant',
      handler: onGrant((invoiceId, grantId) => revokeGrant(deps.db, invoiceId, grantId)),
    });
}
