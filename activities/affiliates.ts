import type { Db } from '../src/db/schema';
import { sendAffiliateInvite } from '../src/affiliates/invite-mail';
import type { NotificationConfig } from '../src/webhooks/notifications';
import { runPayoutCycle } from '../src/affiliates/payouts';
import type { PayoutCycleInput, PayoutCycleReport } from '../src/temporal/contracts/affiliates';
import { ApplicationFailure } from '@temporalio/activity';
import { cycleDateOf, cycleStart, isTimeZone } from '../src/domain/payout-cycle';

/** The payout cycle's one step (everything in one transaction, so a retry is harmless) and invitations. */
export function createAffiliateActivities(deps: { db: Db; notifications: NotificationConfig }) {
  return {
    /** Mails an invitation once per workflow; someone who applied meanwhile gets none. */
    async mailAffiliateInvite(input: { affiliateId: number; applicationUrl: string }): Promise<'sent' | 'already_applied' | 'no_smtp'> {
      const affiliate = await deps.db
        .selectFrom('affiliates as a')
        .innerJoin('stores as s', 's.id', 'a.store_id')
        .select(['a.email', 'a.status', 's.name'])
        .where('a.id', '=', input.affiliateId)
        .executeTakeFirstOrThrow();
      if (affiliate.status !== 'INVITED') return 'already_applied';
      const sent = await sendAffiliateInvite(deps.notifications, {
        to: affiliate.email,
        storeName: affiliate.name,
        applicationUrl: input.applicationUrl,
      });
      return sent ? 'sent' : 'no_smtp';
    },

    async runAffiliatePayoutCycle(input: PayoutCycleInput): Promise<PayoutCycleReport> {
      const store = await deps.db.selectFrom('stores').select('timezone').where('id', '=', input.storeId).executeTakeFirstOrThrow();
      if (!isTimeZone(store.timezone))
        throw ApplicationFailure.nonRetryable(`Store ${input.storeId} has no valid time zone ("${store.timezone}")`, 'InvalidTimeZone');
      const at = input.at ? new Date(input.at) : new Date();
      const cycleDate = input.cycleDate ?? cycleDateOf(at, store.timezone);
      // A backfilled date pays what was eligible when that cycle should have run.
      const cutoff = input.trigger === 'backfill' ? cycleStart(cycleDate, store.timezone) : at;
      return deps.db
        .transaction()
        .execute((trx) => runPayoutCycle(trx, { storeId: input.storeId, cycleDate, cutoff, trigger: input.trigger }));
    },
  };
}

export type AffiliateActivities = ReturnType<typeof createAffiliateActivities>;
