import { communityAdapter } from './adapters';
import { sealCredentials } from './connection-credentials';
import type { CommunityServices } from './spaces';
import type { Db } from '../db/schema';

export type ConnectInput =
  | { platform: 'discord'; bot_mode: 'official' }
  | { platform: 'discord'; bot_mode: 'custom'; client_id: string; client_secret: string; bot_token: string }
  | { platform: 'slack'; token: string; invite_url: string }
  | { platform: 'whatsapp'; access_token: string; phone_number_id: string }
  | { platform: 'telegram' };

function sealedFor(services: CommunityServices, input: ConnectInput): string | null {
  switch (input.platform) {
    case 'discord':
      return input.bot_mode === 'custom'
        ? sealCredentials(services.secrets, { bot_token: input.bot_token, client_id: input.client_id, client_secret: input.client_secret })
        : null;
    case 'slack':
      return sealCredentials(services.secrets, { token: input.token });
    case 'whatsapp':
      return sealCredentials(services.secrets, { access_token: input.access_token, phone_number_id: input.phone_number_id });
    case 'telegram':
      return null;
  }
}

/**
 * Connects (or reconnects) a platform for a store: the credentials must work before they are
 * kept, sealed. Spaces already added stay, now served by the new credentials.
 */
export async function connectPlatform(services: CommunityServices, storeId: number, input: ConnectInput) {
  const row = {
    platform: input.platform,
    bot_mode: input.platform === 'discord' ? input.bot_mode : ('official' as const),
    credentials_sealed: sealedFor(services, input),
  };
  const account = await communityAdapter(services.config, services.secrets, row).checkConnection();
  const values = {
    ...row,
    account_id: account.accountId,
    account_name: account.accountName,
    invite_url: input.platform === 'slack' ? input.invite_url : null,
    updated_at: new Date(),
  };
  return services.db
    .insertInto('community_connections')
    .values({ store_id: storeId, ...values })
    .onConflict((oc) => oc.constraint('community_connections_store_platform_uq').doUpdateSet(values))
    .returningAll()
    .executeTakeFirstOrThrow();
}

export type StoredConnection = Awaited<ReturnType<typeof connectPlatform>>;

/** Never the credentials: only who we act as. */
export function connectionView(row: StoredConnection) {
  return {
    platform: row.platform,
    bot_mode: row.bot_mode,
    account_id: row.account_id,
    account_name: row.account_name,
    invite_url: row.invite_url,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export async function listConnections(db: Db, storeId: number) {
  return db.selectFrom('community_connections').selectAll().where('store_id', '=', storeId).orderBy('platform').execute();
}
