import type { Db } from '../db/schema';
import { CommunityNotFoundError, CommunityRuleError } from './errors';

export interface AccessInput {
  space_id: number;
  role_ids: string[];
  linking_required: boolean;
  remove_on_expiry: boolean;
  /** The subscription's pause ends this access until it is resumed. */
  remove_on_pause: boolean;
}

export async function variantAccess(db: Db, variantId: number) {
  const rows = await db
    .selectFrom('variant_community_access as a')
    .innerJoin('community_spaces as s', 's.id', 'a.space_id')
    .select([
      'a.id',
      'a.space_id',
      's.platform',
      's.name as space_name',
      'a.role_ids',
      'a.linking_required',
      'a.remove_on_expiry',
      'a.remove_on_pause',
    ])
    .where('a.variant_id', '=', variantId)
    .orderBy('a.id')
    .execute();
  return rows;
}

/**
 * Replaces what a variant grants. Roles are checked against the guild's synced roles (Sync
 * Roles first after adding one in Discord); only Discord grants roles. Orders already placed
 * keep what they bought (grants snapshot the roles).
 */
export async function setVariantAccess(db: Db, storeId: number, variantId: number, accesses: AccessInput[]) {
  const spaceIds = [...new Set(accesses.map((a) => a.space_id))];
  if (spaceIds.length !== accesses.length)
    throw new CommunityRuleError('duplicate_space', 'Each space appears once per variant; list every role in one entry', 'access');
  const spaces =
    spaceIds.length === 0
      ? []
      : await db
          .selectFrom('community_spaces')
          .select(['id', 'platform', 'roles'])
          .where('store_id', '=', storeId)
          .where('deleted_at', 'is', null)
          .where('id', 'in', spaceIds)
          .execute();
  accesses.forEach((access, index) => {
    const space = spaces.find((s) => s.id === access.space_id);
    if (!space) throw new CommunityNotFoundError('Community space');
    if (space.platform !== 'discord' && access.role_ids.length > 0)
      throw new CommunityRuleError(
        'roles_not_supported',
        `Only Discord grants roles; ${space.platform} access is the ${space.platform === 'slack' ? 'channel' : 'group'} itself`,
        `access.${index}.role_ids`,
      );
    if (space.platform === 'discord') {
      if (access.role_ids.length === 0)
        throw new CommunityRuleError('roles_required', 'A Discord access grants at least one role', `access.${index}.role_ids`);
      const unknown = access.role_ids.filter((r) => !space.roles.some((role) => role.id === r));
      if (unknown.length > 0)
        throw new CommunityRuleError(
          'unknown_role',
          `The guild has no role ${unknown.join(', ')} (run a health check to sync roles after adding them in Discord)`,
          `access.${index}.role_ids`,
        );
      const managed = access.role_ids.filter((r) => space.roles.find((role) => role.id === r)?.managed);
      if (managed.length > 0)
        throw new CommunityRuleError(
          'managed_role',
          `Role ${managed.join(', ')} is managed by an integration and cannot be granted`,
          `access.${index}.role_ids`,
        );
    }
  });
  await db.transaction().execute(async (trx) => {
    await trx
      .deleteFrom('variant_community_access')
      .where('variant_id', '=', variantId)
      .where('space_id', 'not in', spaceIds.length ? spaceIds : [0])
      .execute();
    for (const access of accesses) {
      const values = {
        role_ids: JSON.stringify(access.role_ids),
        linking_required: access.linking_required,
        remove_on_expiry: access.remove_on_expiry,
        remove_on_pause: access.remove_on_pause,
      };
      await trx
        .insertInto('variant_community_access')
        .values({ store_id: storeId, variant_id: variantId, space_id: access.space_id, ...values })
        .onConflict((oc) => oc.constraint('variant_community_access_uq').doUpdateSet(values))
        .execute();
    }
  });
  return variantAccess(db, variantId);
}
