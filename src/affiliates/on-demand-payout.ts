import type { Db } from '../db/schema';
import { loadAffiliate } from './affiliates';
import { announcePayouts, bookPayouts } from './book-payouts';
import { AffiliateRuleError } from './errors';

/**
 * Pays one affiliate now, outside the 1st/15th cycle: every accepted referral of this mode that
 * is eligible, unvoided and in no payout yet becomes one DUE payout per currency, booked the way
 * the cycle books (the same code and row locks, so neither can take a referral the other booked).
 * The seller asked for it, so the program's minimum does not hold it back. The first payout's id.
 */
export async function payAffiliateNow(db: Db, storeId: number, livemode: boolean, affiliateId: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const affiliate = await loadAffiliate(trx, storeId, affiliateId);
    if (affiliate.status !== 'ACTIVE')
      throw new AffiliateRuleError(
        'affiliate_not_active',
        `The affiliate is ${affiliate.status.toLowerCase()}: only an active affiliate is paid`,
        'affiliate',
      );
    const booked = await bookPayouts(trx, { storeId, cycleId: null, cutoff: new Date(), minimumCents: 0, only: { affiliateId, livemode } });
    if (booked.length === 0)
      throw new AffiliateRuleError(
        'nothing_due',
        'The affiliate has no accepted, eligible commission that is not in a payout yet',
        'affiliate',
      );
    await announcePayouts(trx, storeId, booked, { affiliate_id: affiliateId });
    return booked[0]!.id;
  });
}
