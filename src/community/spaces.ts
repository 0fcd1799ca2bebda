import type { Db } from '../db/schema';
import type { SecretBox } from '../security/secret-box';
import { type CommunityConfig, communityAdapter } from './adapters';
import { CommunityConflictError, CommunityNotFoundError, CommunityRuleError } from './errors';
import { type CommunityPlatform, CommunityPlatformError, type HealthIssue } from './platform';

export interface CommunityServices {
  db: Db;
  secrets: SecretBox;
  config: CommunityConfig;
}

const SPACE_KINDS: Record<CommunityPlatform, string> = { discord: 'guild', telegram: 'chat', slack: 'channel', whatsapp: 'group' };

export async function loadConnection(db: Db, storeId: number, platform: CommunityPlatform) {
  const connection = await db
    .selectFrom('community_connections')
    .selectAll()
    .where('store_id', '=', storeId)
    .where('platform', '=', platform)
    .executeTakeFirst();
  if (!connection)
    throw new CommunityRuleError(
      'platform_not_connected',
      `Connect ${platform} first (PUT /community/connections/${platform})`,
      'platform',
    );
  return connection;
}

export async function loadSpace(db: Db, storeId: number, spaceId: number) {
  const space = await db
    .selectFrom('community_spaces')
    .selectAll()
    .where('id', '=', spaceId)
    .where('store_id', '=', storeId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!space) throw new CommunityNotFoundError('Community space');
  return space;
}

/** The guild, channel or group joins the store's spaces once the bot can see it; Telegram chats come from the code flow. */
export async function addSpace(
  services: CommunityServices,
  storeId: number,
  platform: Exclude<CommunityPlatform, 'telegram'>,
  externalId: string,
) {
  const connection = await loadConnection(services.db, storeId, platform);
  const existing = await services.db
    .selectFrom('community_spaces')
    .select('id')
    .where('store_id', '=', storeId)
    .where('platform', '=', platform)
    .where('external_id', '=', externalId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (existing)
    throw new CommunityConflictError(
      'space_exists',
      `This ${SPACE_KINDS[platform]} is already connected (space ${existing.id})`,
      'external_id',
    );
  // Our official Discord bot serves every store: a guild belongs to the store that added it first.
  if (connection.bot_mode === 'official') {
    const claimed = await services.db
      .selectFrom('community_spaces as s')
      .innerJoin('community_connections as c', 'c.id', 's.connection_id')
      .select('s.id')
      .where('s.platform', '=', platform)
      .where('s.external_id', '=', externalId)
      .where('s.deleted_at', 'is', null)
      .where('c.bot_mode', '=', 'official')
      .where('s.store_id', '!=', storeId)
      .executeTakeFirst();
    if (claimed)
      throw new CommunityConflictError(
        'space_claimed',
        `This ${SPACE_KINDS[platform]} is connected to another store; ask support if it is yours`,
        'external_id',
      );
  }
  const check = await communityAdapter(services.config, services.secrets, connection).checkSpace(externalId, []);
  if (check.name === null)
    throw new CommunityRuleError(
      'space_not_found',
      `The ${platform} bot cannot see ${SPACE_KINDS[platform]} ${externalId}: ${check.issues.map((i) => i.message).join('; ')}`,
      'external_id',
    );
  const space = await uniqueSpace(platform, () =>
    services.db
      .insertInto('community_spaces')
      .values({
        store_id: storeId,
        connection_id: connection.id,
        platform,
        external_id: externalId,
        name: check.name,
        kind: SPACE_KINDS[platform],
        roles: JSON.stringify(check.roles ?? []),
        health_status: check.issues.length === 0 ? 'healthy' : 'unhealthy',
        health_issues: JSON.stringify(check.issues),
        health_checked_at: new Date(),
        deleted_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
  return space;
}

/** The same guild, channel or group added twice at once: the loser hears 409, not 500. */
async function uniqueSpace<T>(platform: CommunityPlatform, insert: () => Promise<T>): Promise<T> {
  try {
    return await insert();
  } catch (error) {
    if ((error as { code?: string }).code === '23505')
      throw new CommunityConflictError(
        'space_exists',
        `This ${SPACE_KINDS[platform]} was just connected by another request`,
        'external_id',
      );
    throw error;
  }
}

/** The seller's setup as the platform sees it now, stored on the space ("Check Health", "Sync Roles"). */
export async function checkSpaceHealth(services: CommunityServices, storeId: number, spaceId: number) {
  const space = await loadSpace(services.db, storeId, spaceId);
  const connection = await services.db
    .selectFrom('community_connections')
    .selectAll()
    .where('id', '=', space.connection_id)
    .executeTakeFirstOrThrow();
  const accesses = await services.db.selectFrom('variant_community_access').select('role_ids').where('space_id', '=', space.id).execute();
  const rolesInUse = [...new Set(accesses.flatMap((a) => a.role_ids))];
  const issues: HealthIssue[] = [];
  if (space.platform === 'slack' && !connection.invite_url)
    issues.push({
      code: 'invite_link_missing',
      message: 'Add the workspace invite link: customers join the workspace with it before channel access',
    });
  let roles = space.roles;
  let name = space.name;
  try {
    const check = await communityAdapter(services.config, services.secrets, connection).checkSpace(space.external_id, rolesInUse);
    issues.push(...check.issues);
    roles = check.roles ?? roles;
    name = check.name ?? name;
  } catch (error) {
    // A platform that answers with a refusal is a finding; one that does not answer is not.
    if (!(error instanceof CommunityPlatformError) || error.retryable) throw error;
    issues.push({ code: `connection_${error.kind}`, message: error.message });
  }
  return services.db
    .updateTable('community_spaces')
    .set({
      name,
      roles: JSON.stringify(roles),
      health_status: issues.length === 0 ? 'healthy' : 'unhealthy',
      health_issues: JSON.stringify(issues),
      health_checked_at: new Date(),
    })
    .where('id', '=', space.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export type SpaceRow = Awaited<ReturnType<typeof loadSpace>>;

/**
 * The products a space's problems reach: a role issue affects the variants granting that
 * role; any other issue affects every variant selling the space.
 */
export async function affectedProducts(db: Db, space: SpaceRow) {
  if (space.health_issues.length === 0) return [];
  const accesses = await db
    .selectFrom('variant_community_access as a')
    .innerJoin('product_variants as v', 'v.id', 'a.variant_id')
    .innerJoin('products as p', 'p.id', 'v.product_id')
    .select(['p.id as product_id', 'p.title as product_title', 'v.id as variant_id', 'v.title as variant_title', 'a.role_ids'])
    .where('a.space_id', '=', space.id)
    .orderBy('p.id')
    .orderBy('v.id')
    .execute();
  const spaceWide = space.health_issues.some((i) => !i.roleIds);
  const troubledRoles = new Set(space.health_issues.flatMap((i) => i.roleIds ?? []));
  return accesses
    .filter((a) => spaceWide || a.role_ids.some((r) => troubledRoles.has(r)))
    .map((a) => ({
      product_id: a.product_id,
      product_title: a.product_title,
      variant_id: a.variant_id,
      variant_title: a.variant_title,
      role_ids: a.role_ids.filter((r) => spaceWide || troubledRoles.has(r)),
    }));
}

export async function spaceView(db: Db, space: SpaceRow) {
  return {
    id: space.id,
    platform: space.platform,
    kind: space.kind,
    external_id: space.external_id,
    name: space.name,
    roles: space.roles,
    health: {
      status: space.health_status,
      issues: space.health_issues,
      checked_at: space.health_checked_at?.toISOString() ?? null,
      affected_products: await affectedProducts(db, space),
    },
    created_at: space.created_at.toISOString(),
  };
}

/** The store's spaces (not removed), of one platform or all, oldest first. */
export function listSpaces(db: Db, storeId: number, platform?: CommunityPlatform) {
  let rows = db.selectFrom('community_spaces').selectAll().where('store_id', '=', storeId).where('deleted_at', 'is', null);
  if (platform) rows = rows.where('platform', '=', platform);
  return rows.orderBy('id').execute();
}

/** Stops selling a space, refused while a live variant still grants it; grants already made keep running. */
export async function removeSpace(db: Db, storeId: number, spaceId: number): Promise<SpaceRow> {
  const space = await loadSpace(db, storeId, spaceId);
  const used = await db
    .selectFrom('variant_community_access as a')
    .innerJoin('product_variants as v', 'v.id', 'a.variant_id')
    .select('a.variant_id')
    .where('a.space_id', '=', space.id)
    .where('v.deleted_at', 'is', null)
    .executeTakeFirst();
  if (used)
    throw new CommunityConflictError(
      'space_in_use',
      `Variant ${used.variant_id} still grants this space; remove it from the variant's community access first`,
      'space',
    );
  await db.updateTable('community_spaces').set({ deleted_at: new Date() }).where('id', '=', space.id).execute();
  return space;
}
