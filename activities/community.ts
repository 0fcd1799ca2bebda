import { ApplicationFailure } from '@temporalio/activity';
import { sql } from 'kysely';
import { communityAdapter, type CommunityConfig } from '../src/community/adapters';
import { DiscordAdapter } from '../src/community/discord/discord-adapter';
import { currentDiscordAccessToken } from '../src/community/discord/discord-token-renewal';
import { grantContext } from '../src/community/grant-context';
import { otherLiveGrants, planCommunityGrants, setGrantStatus } from '../src/community/grant-records';
import { CommunityPlatformError, type GrantResult } from '../src/community/platform';
import type { Db } from '../src/db/schema';
import type { GrantStatus } from '../src/domain/community-grant';
import type { SecretBox } from '../src/security/secret-box';
import { workflowIds } from '../src/temporal/workflow-ids';

export interface GrantAttemptOutcome {
  status: Exclude<GrantStatus, 'processing' | 'revoked'> | 'revoke';
  reason: string | null;
  /** ISO: when a waiting grant stops waiting and needs manual action. */
  awaitingUntil: string | null;
}

/**
 * A platform failure as the activity's failure: rate limits and outages are retried by the
 * workflow's retry policy, after the platform's retry_after when it gave one; anything else
 * is final for this attempt.
 */
function asActivityFailure(error: CommunityPlatformError): ApplicationFailure {
  return ApplicationFailure.create({
    message: error.message,
    type: `Community_${error.kind}`,
    nonRetryable: !error.retryable,
    ...(error.retryAfterMs !== undefined ? { nextRetryDelay: error.retryAfterMs } : {}),
  });
}

/** The grant was revoked while an attempt was under way: its add-member call is not made. */
class GrantRevokedMeanwhile extends Error {}

/**
 * On record before the add-member call: the member, and that a call may have let them in. A grant
 * revoked meanwhile (this attempt outlived its timeout, a refund landed) refuses the call.
 */
async function recordJoinCall(db: Db, grantId: number, memberId: string): Promise<void> {
  const recorded = await db
    .updateTable('community_grants')
    .set({ member_id: memberId, join_pending_at: sql`coalesce(join_pending_at, now())`, updated_at: new Date() })
    .where('id', '=', grantId)
    .where('revoke_requested_at', 'is', null)
    .where('status', '!=', 'revoked')
    .executeTakeFirst();
  if (recorded.numUpdatedRows === 0n) throw new GrantRevokedMeanwhile();
}

async function clearJoinCall(db: Db, grantId: number): Promise<void> {
  await db.updateTable('community_grants').set({ join_pending_at: null }).where('id', '=', grantId).execute();
}

export function createCommunityActivities(deps: { db: Db; secrets: SecretBox; community: CommunityConfig }) {
  const { db } = deps;

  return {
    /** The grants an order's variants sell, and how their workflows pace their checks (worker config). */
    async planCommunityGrants(input: {
      invoiceId: number;
    }): Promise<{ grants: { grantId: number; workflowId: string }[]; checkMs: number; checkCeilingMs: number }> {
      const grantIds = await planCommunityGrants(db, input.invoiceId);
      return {
        grants: grantIds.map((grantId) => ({ grantId, workflowId: workflowIds.communityGrant(grantId) })),
        checkMs: deps.community.checkMs,
        checkCeilingMs: deps.community.checkCeilingMs,
      };
    },

    /**
     * One try at the grant: the platform call, then its result recorded. A waiting grant gets
     * its deadline on the first wait (or afresh when ops retry); past it, it needs manual action.
     */
    async attemptCommunityGrant(input: { grantId: number; freshWindow: boolean }): Promise<GrantAttemptOutcome> {
      const ctx = await grantContext(db, deps.secrets, input.grantId);
      const { grant } = ctx;
      if (grant.revoke_requested_at) return { status: 'revoke', reason: grant.revoke_reason, awaitingUntil: null };
      // An earlier attempt's add-member call was never answered (a crash, a timeout): it may have let
      // the customer in, so "already a member" now cannot prove they were there before buying.
      const earlierJoinUnanswered = grant.join_pending_at !== null;
      let joinCalled = false;

      let result: GrantResult;
      try {
        const adapter = communityAdapter(deps.community, deps.secrets, ctx.connection);
        const customer =
          adapter instanceof DiscordAdapter && ctx.discordTokens
            ? {
                ...ctx.customer,
                accessToken: await currentDiscordAccessToken(db, deps.secrets, adapter, {
                  invoiceId: grant.invoice_id,
                  tokens: ctx.discordTokens,
                }),
              }
            : ctx.customer;
        result = await adapter.grant({
          grantId: grant.id,
          spaceId: ctx.space.external_id,
          roleIds: grant.role_ids,
          customer,
          inviteUrl: ctx.inviteUrl,
          beforeJoin: async (memberId) => {
            await recordJoinCall(db, grant.id, memberId);
            joinCalled = true;
          },
        });
      } catch (error) {
        if (error instanceof GrantRevokedMeanwhile) return { status: 'revoke', reason: null, awaitingUntil: null };
        if (!(error instanceof CommunityPlatformError)) throw error;
        // The platform answered (refused, or a later call failed): this attempt's call added nobody.
        if (joinCalled && !earlierJoinUnanswered && error.kind !== 'unavailable') await clearJoinCall(db, grant.id);
        if (error.retryable) throw asActivityFailure(error);
        if (error.kind !== 'customer_action') {
          await db.transaction().execute((trx) => setGrantStatus(trx, grant.id, 'needs_manual_action', error.message));
          return { status: 'needs_manual_action', reason: error.message, awaitingUntil: null };
        }
        result = { status: 'awaiting_customer', reason: error.message, inviteUrl: null };
      }

      if (result.status === 'granted') {
        const granted = result;
        const joinedByGrant = granted.joinedByGrant || grant.joined_by_grant || earlierJoinUnanswered;
        await db.transaction().execute((trx) =>
          setGrantStatus(trx, grant.id, 'granted', null, {
            member_id: granted.memberId,
            joined_by_grant: joinedByGrant,
            join_pending_at: null,
            granted_at: grant.granted_at ?? new Date(),
            awaiting_until: null,
          }),
        );
        return { status: 'granted', reason: null, awaitingUntil: null };
      }
      if (joinCalled && !earlierJoinUnanswered) await clearJoinCall(db, grant.id);

      const now = new Date();
      const deadline =
        input.freshWindow || !grant.awaiting_until ? new Date(now.getTime() + ctx.waitHours * 3_600_000) : grant.awaiting_until;
      const inviteUrl = result.inviteUrl ?? grant.invite_url;
      if (now >= deadline) {
        const reason = `The customer did not complete the step within ${ctx.waitHours} hours: ${result.reason}`;
        await db.transaction().execute((trx) => setGrantStatus(trx, grant.id, 'needs_manual_action', reason, { invite_url: inviteUrl }));
        return { status: 'needs_manual_action', reason, awaitingUntil: null };
      }
      await db
        .transaction()
        .execute((trx) =>
          setGrantStatus(trx, grant.id, 'awaiting_customer', result.reason, { invite_url: inviteUrl, awaiting_until: deadline }),
        );
      return { status: 'awaiting_customer', reason: result.reason, awaitingUntil: deadline.toISOString() };
    },

    /**
     * Takes the access away, then closes the grant. Only what this grant gave goes: a member who
     * was there before buying stays (Discord loses the grant's roles only), and roles or
     * membership another live grant of the same customer still pays for are kept.
     */
    async revokeCommunityGrant(input: { grantId: number }): Promise<void> {
      const ctx = await grantContext(db, deps.secrets, input.grantId);
      const { grant } = ctx;
      if (grant.status === 'revoked') return;
      // Discord roles may have been added before the grant could record its member (a partial
      // failure, a crash): the linked account is the member then.
      const memberId = grant.member_id ?? (grant.platform === 'discord' ? ctx.customer.userId : null);
      const others = memberId ? await otherLiveGrants(db, grant, memberId) : [];
      const roleIds =
        memberId && grant.platform === 'discord' ? grant.role_ids.filter((role) => !others.some((o) => o.role_ids.includes(role))) : [];
      // An unanswered add-member call counts as having brought them in: access never outlives the money.
      const broughtIn = memberId !== null && (grant.joined_by_grant || grant.join_pending_at !== null);
      // The member leaves with the last grant standing; until then the membership is the others' to end.
      const removeMember = broughtIn && others.length === 0;
      const acts = roleIds.length > 0 || removeMember || (grant.platform === 'telegram' && grant.invite_url !== null);
      try {
        const adapter = communityAdapter(deps.community, deps.secrets, ctx.connection);
        if (acts)
          await adapter.revoke({
            grantId: grant.id,
            spaceId: ctx.space.external_id,
            roleIds,
            memberId,
            removeMember,
            inviteUrl: grant.invite_url,
          });
      } catch (error) {
        if (error instanceof CommunityPlatformError) throw asActivityFailure(error);
        throw error;
      }
      await db.transaction().execute(async (trx) => {
        if (broughtIn && others.length > 0)
          await trx
            .updateTable('community_grants')
            .set({ joined_by_grant: true })
            .where(
              'id',
              'in',
              others.map((o) => o.id),
            )
            .execute();
        await setGrantStatus(trx, grant.id, 'revoked', grant.revoke_reason, { revoked_at: new Date(), join_pending_at: null });
      });
    },

    /** The platform kept failing, or the seller's setup is at fault: ops take over. */
    async holdCommunityGrant(input: { grantId: number; reason: string }): Promise<{ status: 'needs_manual_action'; reason: string }> {
      await db.transaction().execute((trx) => setGrantStatus(trx, input.grantId, 'needs_manual_action', input.reason));
      return { status: 'needs_manual_action', reason: input.reason };
    },

    async communityGrantRevocationRequested(input: { grantId: number }): Promise<boolean> {
      const row = await db
        .selectFrom('community_grants')
        .select('revoke_requested_at')
        .where('id', '=', input.grantId)
        .executeTakeFirstOrThrow();
      return row.revoke_requested_at !== null;
    },
  };
}

export type CommunityActivities = ReturnType<typeof createCommunityActivities>;
