import type { z } from 'zod';
import type { Db } from '../../db/schema';
import type { SecretBox } from '../../security/secret-box';
import { sealCredentials } from '../connection-credentials';
import type { discordLinkTokens } from '../grant-context';
import { CommunityPlatformError } from '../platform';
import type { DiscordAdapter } from './discord-adapter';

/** Renew a little before Discord would refuse the token, so the add-member call never races its expiry. */
const RENEW_MARGIN_MS = 5 * 60_000;

/**
 * A customer's access token lives 7 days, and a grant may reach Discord later (an ops retry after
 * the seller fixed a permission): the refresh token renews it, and the renewed pair is sealed on
 * the customer's link for the next attempt. The access token to use, or null when the customer
 * must authorize again (no refresh token, or Discord refused it).
 */
export async function currentDiscordAccessToken(
  db: Db,
  secrets: SecretBox,
  adapter: DiscordAdapter,
  link: { invoiceId: number; tokens: z.infer<typeof discordLinkTokens> },
): Promise<string | null> {
  const { tokens } = link;
  if (Date.parse(tokens.expires_at) - Date.now() > RENEW_MARGIN_MS) return tokens.access_token;
  if (!tokens.refresh_token) return null;
  let renewed;
  try {
    renewed = await adapter.refreshAuthorization(tokens.refresh_token);
  } catch (error) {
    // Spent (another grant of this order renewed it first: the next attempt reads that pair) or revoked.
    if (error instanceof CommunityPlatformError && error.kind === 'customer_action') return null;
    throw error;
  }
  await db
    .updateTable('invoice_community_links')
    .set({
      credentials_sealed: sealCredentials(secrets, {
        access_token: renewed.accessToken,
        refresh_token: renewed.refreshToken,
        expires_at: renewed.expiresAt,
      }),
    })
    .where('invoice_id', '=', link.invoiceId)
    .where('platform', '=', 'discord')
    .execute();
  return renewed.accessToken;
}
