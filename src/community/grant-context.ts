import { z } from 'zod';
import type { Db } from '../db/schema';
import type { SecretBox } from '../security/secret-box';
import { openCredentials } from './connection-credentials';
import type { CustomerIdentity } from './platform';

/** Discord OAuth2 tokens kept on the customer's link (guilds.join adds them to the guild). */
export const discordLinkTokens = z.object({ access_token: z.string(), refresh_token: z.string().nullable(), expires_at: z.string() });

/**
 * Everything one grant attempt needs: the grant, where it is (space, connection), who the
 * customer is on that platform (their link from checkout, or the invoice's email for Slack),
 * and how long the store lets a grant wait for them.
 */
export async function grantContext(db: Db, secrets: SecretBox, grantId: number) {
  const grant = await db.selectFrom('community_grants').selectAll().where('id', '=', grantId).executeTakeFirstOrThrow();
  const space = await db
    .selectFrom('community_spaces')
    .select(['external_id', 'connection_id', 'name'])
    .where('id', '=', grant.space_id)
    .executeTakeFirstOrThrow();
  const connection = await db
    .selectFrom('community_connections')
    .select(['platform', 'bot_mode', 'credentials_sealed', 'invite_url'])
    .where('id', '=', space.connection_id)
    .executeTakeFirstOrThrow();
  const invoice = await db
    .selectFrom('invoices')
    .innerJoin('stores', 'stores.id', 'invoices.store_id')
    .select(['invoices.customer_email', 'stores.community_wait_hours'])
    .where('invoices.id', '=', grant.invoice_id)
    .executeTakeFirstOrThrow();
  const link = await db
    .selectFrom('invoice_community_links')
    .select(['external_user_id', 'phone', 'credentials_sealed', 'linked_at'])
    .where('invoice_id', '=', grant.invoice_id)
    .where('platform', '=', grant.platform)
    .executeTakeFirst();
  const linked = link?.linked_at ? link : undefined;
  const tokens = linked && grant.platform === 'discord' ? openCredentials(secrets, discordLinkTokens, linked.credentials_sealed) : null;
  const customer: CustomerIdentity = {
    userId: linked?.external_user_id ?? (grant.platform === 'slack' ? grant.member_id : null),
    accessToken: tokens?.access_token ?? null,
    email: invoice.customer_email,
    phone: linked?.phone ?? null,
  };
  return {
    grant,
    space,
    connection,
    customer,
    /** The customer's Discord OAuth2 tokens, for renewing an expired access token. */
    discordTokens: tokens,
    // Slack customers join through the workspace's invite link; the others get one per grant.
    inviteUrl: grant.platform === 'slack' ? connection.invite_url : grant.invite_url,
    waitHours: invoice.community_wait_hours,
  };
}
