import { sql } from 'kysely';
import { noticeLateCommunityLink } from '../orders/buyer-notices';
import { lockOrderForCommunityLinks } from '../orders/community-link-lock';
import type { Db, DbExecutor } from '../db/schema';
import type { GrantHistoryEntry, GrantStatus, RestorableReason, RevokeReason } from '../domain/community-grant';
import { revokesGrant } from '../domain/community-grant';
import { hasEnded, type SubscriptionStatus } from '../domain/subscription-lifecycle';
import { recordEvent } from '../events/record';
import { recordIntent } from '../outbox/record-intent';

/**
 * The grant rows: planned when an order completes (one per access its variants sell),
 * moved through their states with a history entry per change, marked for revocation in the
 * same transaction as whatever ends them (refund, dispute, subscription end or pause, ops),
 * and given back as new grants when a pause or a dispute is over.
 */
export async function planCommunityGrants(db: Db, invoiceId: number): Promise<number[]> {
  return db.transaction().execute(async (trx) => {
    const invoice = await trx
      .selectFrom('invoices')
      .select(['id', 'store_id', 'livemode', 'status', 'subscription_id'])
      .where('id', '=', invoiceId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    // Refunded, disputed or voided between completing and planning (a worker was down): nothing to grant.
    if (invoice.status !== 'COMPLETED') return [];
    // Locked (after the invoice: src/subscriptions/lock-order.ts): a subscription ending or pausing
    // at this moment either sees these grants to revoke, or is seen here.
    const subscription =
      invoice.subscription_id === null
        ? undefined
        : await trx
            .selectFrom('subscriptions')
            .select(['entitlements_revoked_at', 'paused_at'])
            .where('id', '=', invoice.subscription_id)
            .forUpdate()
            .executeTakeFirst();
    const subscriptionEnded = subscription?.entitlements_revoked_at != null;
    const paused = subscription?.paused_at != null;
    const sold = await trx
      .selectFrom('invoice_lines as l')
      .innerJoin('variant_community_access as a', 'a.variant_id', 'l.variant_id')
      .innerJoin('community_spaces as s', 's.id', 'a.space_id')
      .select(['a.id', 'a.space_id', 's.platform', 'a.role_ids', 'a.remove_on_expiry', 'a.remove_on_pause'])
      .where('l.invoice_id', '=', invoiceId)
      .where('s.deleted_at', 'is', null)
      .distinct()
      .execute();
    // Access that outlives the subscription (remove_on_expiry off) is still owed after it ended.
    const accesses = subscriptionEnded ? sold.filter((access) => !revokesGrant('subscription_ended', access)) : sold;
    const now = new Date();
    for (const access of accesses) {
      // Access the variant suspends while paused is planned as a pause leaves it: revoked for the
      // pause (nothing was given, so there is nothing to take back at the platform, and its workflow
      // ends at once), and given back as a new grant by the resume (restoreCommunityGrants).
      const suspended = paused && revokesGrant('paused', access);
      await trx
        .insertInto('community_grants')
        .values({
          store_id: invoice.store_id,
          livemode: invoice.livemode,
          invoice_id: invoiceId,
          access_id: access.id,
          space_id: access.space_id,
          platform: access.platform,
          role_ids: JSON.stringify(access.role_ids),
          remove_on_expiry: access.remove_on_expiry,
          remove_on_pause: access.remove_on_pause,
          history: JSON.stringify([suspended ? historyEntry('revoked', 'paused') : historyEntry('processing', null)]),
          ...(suspended && {
            status: 'revoked' as const,
            reason: 'paused',
            revoked_at: now,
            revoke_requested_at: now,
            revoke_signaled_at: now,
            revoke_reason: 'paused' as const,
          }),
        })
        // The grant as bought (restorations name the grant they give back and come beside it).
        .onConflict((oc) => oc.columns(['invoice_id', 'access_id']).where('restores_grant_id', 'is', null).doNothing())
        .execute();
    }
    const grants = await trx.selectFrom('community_grants').select('id').where('invoice_id', '=', invoiceId).orderBy('id').execute();
    return grants.map((g) => g.id);
  });
}

function historyEntry(status: GrantStatus, note: string | null): GrantHistoryEntry {
  return { at: new Date().toISOString(), status, note };
}

/**
 * Moves a grant to `status`; the history gains an entry only when the status or its reason
 * changed, so a waiting grant checked every few minutes keeps a short history.
 */
export async function setGrantStatus(
  trx: DbExecutor,
  grantId: number,
  status: GrantStatus,
  reason: string | null,
  also: {
    member_id?: string;
    joined_by_grant?: boolean;
    join_pending_at?: null;
    invite_url?: string | null;
    awaiting_until?: Date | null;
    granted_at?: Date;
    revoked_at?: Date;
  } = {},
): Promise<void> {
  if (also.invite_url) {
    // A grant's invoice never changes: read unlocked, then locked before the grant (the lock order).
    const { invoice_id } = await trx
      .selectFrom('community_grants')
      .select('invoice_id')
      .where('id', '=', grantId)
      .executeTakeFirstOrThrow();
    await lockOrderForCommunityLinks(trx, invoice_id);
  }
  const current = await trx
    .selectFrom('community_grants')
    .select(['status', 'reason', 'store_id', 'livemode', 'invoice_id', 'platform', 'invite_url'])
    .where('id', '=', grantId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  // Revoked is final: a late attempt (timed out, still running somewhere) never reopens a grant.
  if (current.status === 'revoked') return;
  const changed = current.status !== status || current.reason !== reason;
  await trx
    .updateTable('community_grants')
    .set({
      status,
      reason,
      ...also,
      attempts: sql`attempts + 1`,
      updated_at: new Date(),
      ...(changed ? { history: sql`history || ${JSON.stringify([historyEntry(status, reason)])}::jsonb` } : {}),
    })
    .where('id', '=', grantId)
    .execute();
  if (also.invite_url && also.invite_url !== current.invite_url) await noticeLateCommunityLink(trx, grantId, current.invoice_id);
  if (changed && status === 'needs_manual_action') {
    await recordEvent(trx, {
      storeId: current.store_id,
      livemode: current.livemode,
      type: 'community.grant_failed',
      data: { id: grantId, invoice_id: current.invoice_id, platform: current.platform, reason },
    });
  }
}

/**
 * Records that these grants must end. The workflows hear of it from the outbox relay after
 * this transaction commits; a grant still waiting for its customer is simply closed.
 */
export async function requestGrantRevocation(
  trx: DbExecutor,
  where: { invoiceId: number; grantId?: number },
  reason: RevokeReason,
): Promise<number> {
  let query = trx
    .selectFrom('community_grants')
    .select(['id', 'remove_on_expiry', 'remove_on_pause'])
    .where('invoice_id', '=', where.invoiceId)
    .where('revoke_requested_at', 'is', null)
    .where('revoked_at', 'is', null);
  if (where.grantId !== undefined) query = query.where('id', '=', where.grantId);
  const grants = (await query.forUpdate().execute()).filter((g) => revokesGrant(reason, g));
  if (grants.length === 0) return 0;
  await trx
    .updateTable('community_grants')
    .set({ revoke_requested_at: new Date(), revoke_reason: reason, updated_at: new Date() })
    .where(
      'id',
      'in',
      grants.map((g) => g.id),
    )
    .execute();
  return grants.length;
}

const RESTORED_BY: Record<RestorableReason, string> = { paused: 'subscription resumed', disputed: 'dispute won' };

/**
 * Gives back the invoice's access that a pause or an open dispute took, as far as it is owed
 * now: the order is COMPLETED (money in, no dispute open), and the subscription it bought, if
 * any, has neither ended (access tied to its period) nor been paused (access the variant
 * suspends while paused). Each grant revoked for either reason gets one new grant naming it
 * (unique: once however often this runs), to a space still connected, started through the
 * engine outbox after commit. Resuming and winning a dispute both call this, so neither gives
 * back what the other still holds. The revoked grant itself stays over. A dispute won on an
 * order still delivering (back to PAID) has nothing to give back: its grants are planned when its
 * workflow completes it.
 */
export async function restoreCommunityGrants(trx: DbExecutor, invoiceId: number): Promise<number[]> {
  // Not locked: a resume holds its subscription's row and a dispute's outcome its invoice's; taking
  // the other here would cross the order in which planning and Stripe's events lock them.
  const invoice = await trx.selectFrom('invoices').select('status').where('id', '=', invoiceId).executeTakeFirstOrThrow();
  if (invoice.status !== 'COMPLETED') return [];
  const subscription = await trx
    .selectFrom('subscriptions')
    .select(['status', 'paused_at', 'entitlements_revoked_at'])
    .where('invoice_id', '=', invoiceId)
    .executeTakeFirst();
  const taken = await trx
    .selectFrom('community_grants as g')
    .innerJoin('community_spaces as s', 's.id', 'g.space_id')
    .select([
      'g.id',
      'g.store_id',
      'g.livemode',
      'g.access_id',
      'g.space_id',
      'g.platform',
      'g.role_ids',
      'g.remove_on_expiry',
      'g.remove_on_pause',
      'g.revoke_reason',
    ])
    .where('g.invoice_id', '=', invoiceId)
    .where('g.revoke_requested_at', 'is not', null)
    .where('g.revoke_reason', 'in', Object.keys(RESTORED_BY))
    .where('s.deleted_at', 'is', null)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('community_grants as r').select('r.id').whereRef('r.restores_grant_id', '=', 'g.id'))),
    )
    .orderBy('g.id')
    .forUpdate('g')
    .execute();
  const ended =
    subscription !== undefined && (hasEnded(subscription.status as SubscriptionStatus) || subscription.entitlements_revoked_at !== null);
  const paused = subscription?.paused_at != null;
  const owed = taken.filter((g) => !(ended && g.remove_on_expiry) && !(paused && g.remove_on_pause));
  const restored: number[] = [];
  for (const grant of owed) {
    const row = await trx
      .insertInto('community_grants')
      .values({
        store_id: grant.store_id,
        livemode: grant.livemode,
        invoice_id: invoiceId,
        access_id: grant.access_id,
        space_id: grant.space_id,
        platform: grant.platform,
        role_ids: JSON.stringify(grant.role_ids),
        remove_on_expiry: grant.remove_on_expiry,
        remove_on_pause: grant.remove_on_pause,
        restores_grant_id: grant.id,
        history: JSON.stringify([
          historyEntry('processing', `Restores grant ${grant.id} (${RESTORED_BY[grant.revoke_reason as RestorableReason]})`),
        ]),
      })
      .onConflict((oc) => oc.column('restores_grant_id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!row) continue;
    await recordIntent(trx, { kind: 'community.grant_start', subjectId: row.id });
    restored.push(row.id);
  }
  return restored;
}

/** The customer's other grants to the same space that still stand (another order, another variant). */
export async function otherLiveGrants(db: Db, grant: { id: number; space_id: number }, memberId: string) {
  return db
    .selectFrom('community_grants')
    .select(['id', 'role_ids'])
    .where('space_id', '=', grant.space_id)
    .where('member_id', '=', memberId)
    .where('id', '!=', grant.id)
    .where('status', '=', 'granted')
    .where('revoke_requested_at', 'is', null)
    .execute();
}

/** Revocations recorded but not yet told to their workflows (the relay's share). */
export async function pendingRevocationSignals(trx: DbExecutor, limit: number): Promise<number[]> {
  const rows = await trx
    .selectFrom('community_grants')
    .select('id')
    .where('revoke_requested_at', 'is not', null)
    .where('revoke_signaled_at', 'is', null)
    .orderBy('id')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
  return rows.map((r) => r.id);
}
