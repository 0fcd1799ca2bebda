import { laravelTime } from '../catalog/views/timestamps';
import type { Db, DbExecutor } from '../db/schema';
import type { ReferralTimelineEntry } from '../db/schema/affiliates';
import type { SecretBox } from '../security/secret-box';
import { couponView } from '../coupons/coupons';
import type { AffiliateRow } from './affiliates';
import { rateView } from './program';

/** 1234 → "12.34": the seeds show money as decimal strings. */
export const decimalMoney = (cents: number) =>
  `${cents < 0 ? '-' : ''}${Math.floor(Math.abs(cents) / 100)}.${String(Math.abs(cents) % 100).padStart(2, '0')}`;

export interface Earnings {
  /** Accepted commissions, paid out or not. */
  earned_cents: number;
  /** Payouts the store marked paid. */
  paid_cents: number;
  /** Earned and not paid yet (due payouts and balances still waiting). */
  unpaid_cents: number;
  /** Referrals still pending or in review. */
  pending_cents: number;
}

/** Per currency, what an affiliate has earned, been paid and is still owed (live or test money). */
export async function earningsOf(db: DbExecutor, affiliateId: number, livemode: boolean): Promise<Record<string, Earnings>> {
  const referrals = await db
    .selectFrom('affiliate_referrals')
    .select(['currency', 'status'])
    .select((eb) => eb.fn.sum<string>('commission_cents').as('cents'))
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('affiliate_id', '=', affiliateId)
    .where('livemode', '=', livemode)
    .where('voided_at', 'is', null)
    .groupBy(['currency', 'status'])
    .execute();
  const payouts = await db
    .selectFrom('affiliate_payouts')
    .select('currency')
    .select((eb) => eb.fn.sum<string>('amount_cents').as('cents'))
    .where('affiliate_id', '=', affiliateId)
    .where('livemode', '=', livemode)
    .where('status', '=', 'PAID')
    .groupBy('currency')
    .execute();
  const result: Record<string, Earnings> = {};
  const of = (currency: string) => (result[currency] ??= { earned_cents: 0, paid_cents: 0, unpaid_cents: 0, pending_cents: 0 });
  for (const r of referrals) {
    if (r.status === 'ACCEPTED') of(r.currency).earned_cents += Number(r.cents);
    if (r.status === 'PENDING' || r.status === 'IN_REVIEW') of(r.currency).pending_cents += Number(r.cents);
  }
  for (const p of payouts) of(p.currency).paid_cents += Number(p.cents);
  for (const e of Object.values(result)) e.unpaid_cents = e.earned_cents - e.paid_cents;
  return result;
}

export interface LinkContext {
  storefrontBase: string;
  storeSlug: string;
}

export const affiliateLink = (ctx: LinkContext, code: string | null) =>
  code ? `${ctx.storefrontBase}/stores/${ctx.storeSlug}?affiliate=${encodeURIComponent(code)}` : null;

async function affiliateCoupon(db: DbExecutor, affiliateId: number) {
  const coupon = await db
    .selectFrom('coupons')
    .selectAll()
    .where('affiliate_id', '=', affiliateId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return coupon ? couponView(coupon) : null;
}

/** The seller's view of an affiliate: everything, payout details included. */
export async function affiliateView(db: Db, box: SecretBox, row: AffiliateRow, ctx: LinkContext, livemode: boolean) {
  const referralCount = await db
    .selectFrom('affiliate_referrals')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('affiliate_id', '=', row.id)
    .where('livemode', '=', livemode)
    .executeTakeFirstOrThrow();
  const payoutCount = await db
    .selectFrom('affiliate_payouts')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('affiliate_id', '=', row.id)
    .where('livemode', '=', livemode)
    .executeTakeFirstOrThrow();
  const earnings = await earningsOf(db, row.id, livemode);
  const { currency } = await db.selectFrom('stores').select('currency').where('id', '=', row.store_id).executeTakeFirstOrThrow();
  const inStoreCurrency = earnings[currency];
  return {
    id: row.id,
    code: row.code,
    email: row.email,
    name: row.name,
    status: row.status,
    message: row.message,
    payout_method: row.payout_method,
    payout_details: row.payout_details_sealed ? box.open(row.payout_details_sealed) : null,
    commission:
      row.commission_type && row.commission_value !== null ? rateView({ type: row.commission_type, value: row.commission_value }) : null,
    eligible_products: row.eligible_products,
    link: affiliateLink(ctx, row.code),
    coupon: await affiliateCoupon(db, row.id),
    referral_count: Number(referralCount.n),
    earnings,
    // The official model's names for the same facts.
    profile: { name: row.name, message: row.message },
    // The official model's balances are one currency's cents: the store's (per currency: earnings).
    balances: {
      available_usd_cents: Math.max(0, inStoreCurrency?.unpaid_cents ?? 0),
      pending_usd_cents: inStoreCurrency?.pending_cents ?? 0,
      paid_usd_cents: inStoreCurrency?.paid_cents ?? 0,
      currency,
    },
    referrals_count: Number(referralCount.n),
    payouts_count: Number(payoutCount.n),
    application_submitted_at: laravelTime(row.applied_at),
    invited_at: laravelTime(row.invited_at),
    applied_at: laravelTime(row.applied_at),
    reviewed_at: laravelTime(row.reviewed_at),
    disabled_at: laravelTime(row.disabled_at),
    created_at: laravelTime(row.created_at),
    updated_at: laravelTime(row.updated_at),
  };
}

type ReferralRow = {
  id: number;
  affiliate_id: number;
  invoice_id: number;
  livemode: boolean;
  status: string;
  source: string;
  paid_amount_cents: number;
  commission_cents: number;
  currency: string;
  calculation: Record<string, unknown>;
  payment_method: string;
  purchased_at: Date;
  eligible_at: Date;
  voided_at: Date | null;
  void_reason: string | null;
  payout_id: number | null;
  timeline: ReferralTimelineEntry[];
  created_at: Date;
};

/**
 * What an affiliate may see of a referral: amounts, dates, status and how the commission was
 * worked out. Built field by field so no customer data (e-mail, IP, invoice) can leak in.
 */
export function affiliateReferralView(row: ReferralRow) {
  return {
    id: row.id,
    status: row.status,
    source: row.source,
    paid_amount: decimalMoney(row.paid_amount_cents),
    commission: decimalMoney(row.voided_at ? 0 : row.commission_cents),
    commission_cents: row.voided_at ? 0 : row.commission_cents,
    currency: row.currency,
    calculation: row.calculation,
    purchased_at: row.purchased_at.toISOString(),
    eligible_at: row.eligible_at.toISOString(),
    voided: row.voided_at !== null,
    payout_id: row.payout_id,
    timeline: row.timeline,
  };
}

/** The seller's view adds the invoice, the mode and why a commission was voided. */
export function referralView(row: ReferralRow) {
  return {
    ...affiliateReferralView(row),
    affiliate_id: row.affiliate_id,
    invoice_id: row.invoice_id,
    livemode: row.livemode,
    payment_method: row.payment_method,
    commission: decimalMoney(row.commission_cents),
    commission_cents: row.commission_cents,
    voided_at: row.voided_at?.toISOString() ?? null,
    void_reason: row.void_reason,
    created_at: row.created_at.toISOString(),
  };
}

export interface PayoutRow {
  id: number;
  affiliate_id: number;
  livemode: boolean;
  status: string;
  amount_cents: number;
  currency: string;
  payout_method: string | null;
  payout_details_sealed: string | null;
  created_at: Date;
  paid_at: Date | null;
  /** Null for a payout asked for one affiliate, outside any cycle. */
  cycle_date: string | null;
}

/** A payout's timeline: created, and paid once the store marked it. */
export const payoutTimeline = (row: { created_at: Date; paid_at: Date | null }) => [
  { status: 'CREATED', at: row.created_at.toISOString() },
  ...(row.paid_at ? [{ status: 'PAID', at: row.paid_at.toISOString() }] : []),
];

export function payoutView(row: PayoutRow, box: SecretBox) {
  return {
    id: row.id,
    affiliate_id: row.affiliate_id,
    status: row.status,
    amount: decimalMoney(row.amount_cents),
    amount_cents: row.amount_cents,
    currency: row.currency,
    livemode: row.livemode,
    payout_method: row.payout_method,
    payout_details: row.payout_details_sealed ? box.open(row.payout_details_sealed) : null,
    cycle_date: row.cycle_date,
    timeline: payoutTimeline(row),
    created_at: row.created_at.toISOString(),
    paid_at: row.paid_at?.toISOString() ?? null,
  };
}
