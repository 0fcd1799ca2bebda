import type { Db } from '../db/schema';
import { communityAdapter } from './adapters';
import { CommunityConflictError, CommunityRuleError } from './errors';
import type { CommunityGrantWorkflows } from './grant-workflow-client';
import { type CommunityPlatform, CommunityPlatformError } from './platform';
import { type CommunityServices, checkSpaceHealth, listSpaces, loadConnection, type SpaceRow } from './spaces';

/**
 * Community connections as the official SDKs see them (/v2/community-connections): per platform,
 * whether the store connected it, who the bot or app is (never its credentials), its spaces
 * with their health, and its grants waiting or failed. The same rows as /v2/community/….
 */
export const PLATFORMS: readonly CommunityPlatform[] = ['discord', 'telegram', 'slack', 'whatsapp'];
const LABELS: Record<CommunityPlatform, string> = { discord: 'Discord', telegram: 'Telegram', slack: 'Slack', whatsapp: 'WhatsApp' };

/** A connected server, channel or group in the spec's model (…PropertyServersItem). */
export function serverView(space: SpaceRow) {
  return {
    id: space.external_id,
    name: space.name ?? space.external_id,
    type: space.kind,
    health_status: space.health_status,
    health_checked_at: space.health_checked_at?.toISOString() ?? null,
    roles: space.roles.filter((r) => !r.managed).map((r) => ({ id: r.id, name: r.name, color: '' })),
  };
}

async function grantCounts(db: Db, storeId: number) {
  const rows = await db
    .selectFrom('community_grants')
    .select(['platform', 'status', (eb) => eb.fn.countAll<string>().as('n')])
    .where('store_id', '=', storeId)
    .where('status', 'in', ['processing', 'awaiting_customer', 'needs_manual_action'])
    .groupBy(['platform', 'status'])
    .execute();
  const count = (platform: CommunityPlatform, statuses: string[]) =>
    rows.filter((r) => r.platform === platform && statuses.includes(r.status)).reduce((sum, r) => sum + Number(r.n), 0);
  return {
    pending: (p: CommunityPlatform) => count(p, ['processing', 'awaiting_customer']),
    failed: (p: CommunityPlatform) => count(p, ['needs_manual_action']),
  };
}

export async function listOfficialConnections(db: Db, storeId: number) {
  const connections = await db.selectFrom('community_connections').selectAll().where('store_id', '=', storeId).execute();
  const spaces = await listSpaces(db, storeId);
  const grants = await grantCounts(db, storeId);
  return PLATFORMS.map((platform) => {
    // A disconnected platform keeps its row (removed spaces name it) without an account.
    const connection = connections.find((c) => c.platform === platform && c.account_id !== null);
    const mine = spaces.filter((s) => s.platform === platform);
    const issues = [
      ...(connection?.credential_health_status === 'unhealthy'
        ? [
            {
              code: 'credentials_unhealthy',
              message: connection.credential_health_issue ?? 'The credentials did not work',
              server_id: null,
            },
          ]
        : []),
      ...mine.flatMap((s) => s.health_issues.map((i) => ({ code: i.code, message: i.message, server_id: s.external_id }))),
    ];
    return {
      platform,
      label: LABELS[platform],
      configured: connection !== undefined,
      healthy: connection !== undefined && issues.length === 0 && mine.every((s) => s.health_status !== 'unhealthy'),
      credential_health_status: connection?.credential_health_status ?? null,
      credential_health_checked_at: connection?.credential_health_checked_at?.toISOString() ?? null,
      pending_grant_count: grants.pending(platform),
      failed_grant_count: grants.failed(platform),
      issues,
      accounts: connection?.account_id
        ? [{ id: connection.account_id, username: connection.account_name, display_name: connection.account_name, avatar_url: null }]
        : [],
      servers: mine.map(serverView),
    };
  });
}

/**
 * Checks the stored credentials with the platform and every space's health, then retries the
 * grants that failed on a space that is healthy now; those on a space still unhealthy are skipped.
 */
export async function verifyConnection(
  services: CommunityServices,
  grants: CommunityGrantWorkflows,
  storeId: number,
  platform: CommunityPlatform,
) {
  const connection = await loadConnection(services.db, storeId, platform);
  if (connection.account_id === null) throw new CommunityRuleError('platform_not_connected', `Connect ${platform} first`, 'platform');
  let issue: string | null = null;
  try {
    await communityAdapter(services.config, services.secrets, connection).checkConnection();
  } catch (error) {
    // A refusal is a finding about the credentials; a platform that does not answer is not.
    if (!(error instanceof CommunityPlatformError) || error.retryable) throw error;
    issue = error.message;
  }
  await services.db
    .updateTable('community_connections')
    .set({
      credential_health_status: issue ? 'unhealthy' : 'healthy',
      credential_health_checked_at: new Date(),
      credential_health_issue: issue,
    })
    .where('id', '=', connection.id)
    .execute();

  const checked: SpaceRow[] = [];
  for (const space of await listSpaces(services.db, storeId, platform)) checked.push(await checkSpaceHealth(services, storeId, space.id));
  const healthy = new Set(issue ? [] : checked.filter((s) => s.health_status === 'healthy').map((s) => s.id));

  const failed = await services.db
    .selectFrom('community_grants as g')
    .innerJoin('variant_community_access as a', 'a.id', 'g.access_id')
    .innerJoin('product_variants as v', 'v.id', 'a.variant_id')
    .innerJoin('products as p', 'p.id', 'v.product_id')
    .select(['g.id', 'g.space_id', 'p.title'])
    .where('g.store_id', '=', storeId)
    .where('g.platform', '=', platform)
    .where('g.status', '=', 'needs_manual_action')
    .where('g.revoked_at', 'is', null)
    .orderBy('g.id')
    .execute();
  const retried: string[] = [];
  const skipped: string[] = [];
  for (const grant of failed) {
    if (healthy.has(grant.space_id) && (await grants.retry(grant.id))) retried.push(grant.title);
    else skipped.push(grant.title);
  }
  const unhealthy = checked.length - checked.filter((s) => s.health_status === 'healthy').length;
  return {
    platform,
    healthy_count: checked.length - unhealthy,
    issue_count: unhealthy + (issue ? 1 : 0),
    retried_count: retried.length,
    skipped_count: skipped.length,
    skipped_products: [...new Set(skipped)],
    // Sellflow does not tell apart products whose grants were already fine: none is listed.
    unchanged_products: [] as string[],
  };
}

/**
 * Disconnects a platform: its spaces stop being sold and the connection no longer counts as made.
 * Its sealed credentials are dropped too, unless grants made through it are still live (their
 * revocation needs them). Refused while a variant still grants one of its spaces; asking again
 * changes nothing. The row stays: removed spaces still name it.
 */
export async function disconnectPlatform(db: Db, storeId: number, platform: CommunityPlatform) {
  return db.transaction().execute(async (trx) => {
    const used = await trx
      .selectFrom('variant_community_access as a')
      .innerJoin('community_spaces as s', 's.id', 'a.space_id')
      .innerJoin('product_variants as v', 'v.id', 'a.variant_id')
      .select('a.variant_id')
      .where('s.store_id', '=', storeId)
      .where('s.platform', '=', platform)
      .where('s.deleted_at', 'is', null)
      .where('v.deleted_at', 'is', null)
      .executeTakeFirst();
    if (used)
      throw new CommunityConflictError(
        'space_in_use',
        `Variant ${used.variant_id} still grants a ${platform} space; remove it from the variant's community access first`,
        'platform',
      );
    await trx
      .updateTable('community_spaces')
      .set({ deleted_at: new Date() })
      .where('store_id', '=', storeId)
      .where('platform', '=', platform)
      .where('deleted_at', 'is', null)
      .execute();
    const live = await trx
      .selectFrom('community_grants')
      .select('id')
      .where('store_id', '=', storeId)
      .where('platform', '=', platform)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    await trx
      .updateTable('community_connections')
      .set({
        account_id: null,
        account_name: null,
        invite_url: null,
        credential_health_status: null,
        credential_health_checked_at: null,
        credential_health_issue: null,
        ...(live ? {} : { credentials_sealed: null }),
        updated_at: new Date(),
      })
      .where('store_id', '=', storeId)
      .where('platform', '=', platform)
      .execute();
    return { platform, disconnected: true };
  });
}
