import type { ExpressionBuilder } from 'kysely';
import type { Database, Db } from '../db/schema';
import type { AffiliatePayoutsTable } from '../db/schema/affiliates';
import type { SecretBox } from '../security/secret-box';
import type { ExportedPayout } from './payout-export';
import { markPayoutsPaid } from './payouts';

export interface PayoutFilter {
  status?: 'DUE' | 'PAID';
  payout_method?: string;
  affiliate_id?: number;
}

export const PAYOUT_COLUMNS = [
  'p.id',
  'p.affiliate_id',
  'p.livemode',
  'p.status',
  'p.amount_cents',
  'p.currency',
  'p.payout_method',
  'p.payout_details_sealed',
  'p.created_at',
  'p.paid_at',
  'c.cycle_date',
] as const;

/** How many referrals a payout (`p`) pays. */
export const referralCount = (eb: ExpressionBuilder<Database & { p: AffiliatePayoutsTable }, 'p'>) =>
  eb
    .selectFrom('affiliate_referrals as r')
    .whereRef('r.payout_id', '=', 'p.id')
    .select((e) => e.fn.countAll<string>().as('n'))
    .as('referrals');

/** A store's payouts of one mode with their cycle date, filtered as the payouts dashboard does; nothing selected yet. */
export function storePayouts(db: Db, storeId: number, livemode: boolean, filter: PayoutFilter) {
  let base = db
    .selectFrom('affiliate_payouts as p')
    .leftJoin('affiliate_payout_cycles as c', 'c.id', 'p.cycle_id')
    .innerJoin('affiliates as a', 'a.id', 'p.affiliate_id')
    .where('p.store_id', '=', storeId)
    .where('p.livemode', '=', livemode);
  if (filter.status) base = base.where('p.status', '=', filter.status);
  if (filter.payout_method) base = base.where('p.payout_method', '=', filter.payout_method);
  if (filter.affiliate_id) base = base.where('p.affiliate_id', '=', filter.affiliate_id);
  return base;
}

export function findPayout(db: Db, storeId: number, livemode: boolean, id: number) {
  return storePayouts(db, storeId, livemode, {}).select(PAYOUT_COLUMNS).where('p.id', '=', id).executeTakeFirst();
}

/** The referrals a payout pays, oldest first. */
export function payoutReferrals(db: Db, payoutId: number) {
  return db
    .selectFrom('affiliate_referrals')
    .select(['id', 'commission_cents', 'purchased_at'])
    .where('payout_id', '=', payoutId)
    .orderBy('id')
    .execute();
}

/** Marks the store's payouts paid (all or none) and reads them back. */
export async function payPayouts(db: Db, storeId: number, livemode: boolean, ids: number[]) {
  await db.transaction().execute((trx) => markPayoutsPaid(trx, storeId, livemode, ids));
  return storePayouts(db, storeId, livemode, {}).select(PAYOUT_COLUMNS).where('p.id', 'in', ids).orderBy('p.id').execute();
}

/** The filtered payouts as an export file lists them, payout details opened. */
export async function payoutsToExport(
  db: Db,
  secrets: SecretBox,
  storeId: number,
  livemode: boolean,
  filter: PayoutFilter,
): Promise<ExportedPayout[]> {
  const rows = await storePayouts(db, storeId, livemode, filter)
    .select(PAYOUT_COLUMNS)
    .select(['a.code', 'a.email'])
    .select(referralCount)
    .orderBy('p.id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    affiliateCode: r.code,
    affiliateEmail: r.email,
    payoutMethod: r.payout_method,
    payoutDetails: r.payout_details_sealed ? secrets.open(r.payout_details_sealed) : null,
    amountCents: r.amount_cents,
    currency: r.currency,
    status: r.status,
    referrals: Number(r.referrals),
    cycleDate: r.cycle_date,
    createdAt: r.created_at,
    paidAt: r.paid_at,
  }));
}
