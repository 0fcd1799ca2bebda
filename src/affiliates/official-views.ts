import { laravelTime } from '../catalog/views/timestamps';
import type { Db, DbExecutor } from '../db/schema';
import type { ReferralStatus } from '../domain/referral-status';
import type { SecretBox } from '../security/secret-box';
import type { PayoutRow } from './affiliate-views';
import { AffiliateNotFoundError } from './errors';
import { loadProgram, type Program } from './program';
import { PAYOUT_COLUMNS, referralCount, storePayouts } from './store-payouts';

/**
 * The affiliate program in the official SellApp SDKs' models (spec 2026-08-30): the same rows
 * Sellflow's own affiliate routes serve, shaped as `/v2/affiliate-program`,
 * `/v2/affiliate-referrals`, `/v2/affiliate-referral-sessions` and `/v2/affiliate-payouts` answer.
 * Money fields named `…_usd_cents` carry the row's own currency in cents (Sellflow keeps each
 * referral's currency and names it beside them); statuses are the spec's lower-case words.
 */

/** A payout destination as the official API shows it: enough to recognise, not to copy. */
export function maskedAccount(details: string | null): string {
  if (!details) return '';
  if (details.length <= 6) return '*'.repeat(details.length);
  return `${details.slice(0, 2)}${'*'.repeat(Math.min(details.length - 6, 12))}${details.slice(-4)}`;
}

const rateCommission = (rate: { type: string; value: number } | null | undefined, cents: number | null) =>
  rate?.type === 'AMOUNT'
    ? { type: 'fixed' as const, percentage: null, amount_usd_cents: cents }
    : { type: 'percentage' as const, percentage: rate ? String(rate.value / 100) : null, amount_usd_cents: cents };

// --- the program ---------------------------------------------------------------------------

/** The variants of the products with their own rate: the spec lists the program's products by variant. */
export function programVariants(db: DbExecutor, storeId: number, productIds: number[]) {
  if (productIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('product_variants as v')
    .innerJoin('products as p', 'p.id', 'v.product_id')
    .select(['v.id', 'v.product_id', 'v.title as variant_title', 'p.title as product_title'])
    .where('p.store_id', '=', storeId)
    .where('v.product_id', 'in', productIds)
    .where('v.deleted_at', 'is', null)
    .orderBy('v.product_id')
    .orderBy('v.id')
    .execute();
}

/** Which product each of the store's variants belongs to; a variant of another store is missing. */
export async function productsOfVariants(db: DbExecutor, storeId: number, variantIds: number[]): Promise<Map<number, number>> {
  if (variantIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('product_variants as v')
    .innerJoin('products as p', 'p.id', 'v.product_id')
    .select(['v.id', 'v.product_id'])
    .where('p.store_id', '=', storeId)
    .where('v.id', 'in', variantIds)
    .where('v.deleted_at', 'is', null)
    .execute();
  return new Map(rows.map((r) => [r.id, r.product_id]));
}

/** GetAffiliateProgramConfiguration…Data: Sellflow's program, its product rates listed per variant. */
export async function officialProgramView(db: DbExecutor, program: Program) {
  const variants = await programVariants(db, program.store_id, [...program.productRates.keys()]);
  const store = program.commission_type === 'AMOUNT';
  return {
    id: program.updated_at ? program.store_id : null,
    enabled: program.enabled,
    settings: {
      auto_approve_affiliates: program.auto_approve,
      minimum_payout: (program.minimum_payout_cents / 100).toFixed(2),
      commission: {
        type: store ? ('fixed' as const) : ('percentage' as const),
        amount: store ? (program.commission_value / 100).toFixed(2) : String(program.commission_value / 100),
      },
      referrer_type: program.referrer_order === 'FIRST' ? ('first_referrer' as const) : ('last_referrer' as const),
      tracking_length: program.tracking_days,
      enabled_specific_products: program.custom_products,
      // Commission is earned on an order's first payment; subscription renewals carry no affiliate.
      subscription_commission: false,
      // The affiliate portal (/v2/affiliate-portal) is always on.
      enable_hub: true,
      payout_methods: program.payout_methods,
      auto_accept_referrals: program.auto_accept_referrals,
    },
    products: variants.map((v) => {
      const rate = program.productRates.get(v.product_id)!;
      return {
        id: v.id,
        product_id: v.product_id,
        product_title: v.product_title,
        variant_title: v.variant_title,
        enabled: true as const,
        commission: rateCommission(rate, rate.type === 'AMOUNT' ? rate.value : null),
      };
    }),
    created_at: laravelTime(program.updated_at),
    updated_at: laravelTime(program.updated_at),
  };
}

export async function loadOfficialProgram(db: DbExecutor, storeId: number) {
  return officialProgramView(db, await loadProgram(db, storeId));
}

// --- invitations ---------------------------------------------------------------------------

/** Invitations not completed yet (affiliates still INVITED); nothing selected yet. */
export function pendingInvitations(db: DbExecutor, storeId: number) {
  return db.selectFrom('affiliates').where('store_id', '=', storeId).where('status', '=', 'INVITED');
}

export function invitationView(row: { id: number; email: string; invited_at: Date | null; applied_at: Date | null; created_at: Date }) {
  return {
    id: row.id,
    email: row.email,
    status: 'pending' as const,
    invited_at: laravelTime(row.invited_at),
    application_submitted_at: laravelTime(row.applied_at),
    created_at: laravelTime(row.created_at),
  };
}

// --- referrals -----------------------------------------------------------------------------

export interface OfficialReferralRow {
  id: number;
  affiliate_id: number;
  invoice_id: number;
  livemode: boolean;
  status: ReferralStatus;
  paid_amount_cents: number;
  commission_cents: number;
  currency: string;
  calculation: Record<string, unknown>;
  eligible_at: Date;
  voided_at: Date | null;
  payout_id: number | null;
  created_at: Date;
  updated_at: Date;
}

/** The spec's referral status: voided orders are `void`, referrals in a paid payout `paid`. */
function referralStatus(row: OfficialReferralRow, payoutPaid: boolean): string {
  if (row.voided_at) return 'void';
  if (row.status === 'ACCEPTED' && payoutPaid) return 'paid';
  return row.status.toLowerCase();
}

/** The rate the first earning line was paid at (the spec has one commission per referral). */
function firstRate(calculation: Record<string, unknown>) {
  const lines = Array.isArray(calculation.lines) ? (calculation.lines as { rate?: { type: string; value: number } | null }[]) : [];
  return lines.find((l) => l.rate)?.rate ?? null;
}

/**
 * ListAffiliateReferrals…DataItem for a page of referral rows: the order (Sellflow's invoice is
 * both order and invoice), its first variant and product, the affiliate's e-mail and whether
 * the payout holding it was paid.
 */
export async function officialReferralViews(db: DbExecutor, rows: OfficialReferralRow[]) {
  if (rows.length === 0) return [];
  const invoiceIds = [...new Set(rows.map((r) => r.invoice_id))];
  const lines = await db
    .selectFrom('invoice_lines as l')
    .innerJoin('products as p', 'p.id', 'l.product_id')
    .leftJoin('product_variants as v', 'v.id', 'l.variant_id')
    .select(['l.invoice_id', 'l.variant_id', 'p.title as product_title', 'v.title as variant_title'])
    .where('l.invoice_id', 'in', invoiceIds)
    .orderBy('l.id')
    .execute();
  const affiliates = await db
    .selectFrom('affiliates')
    .select(['id', 'email'])
    .where('id', 'in', [...new Set(rows.map((r) => r.affiliate_id))])
    .execute();
  const payoutIds = [...new Set(rows.flatMap((r) => (r.payout_id === null ? [] : [r.payout_id])))];
  const paid =
    payoutIds.length === 0
      ? []
      : await db.selectFrom('affiliate_payouts').select('id').where('id', 'in', payoutIds).where('status', '=', 'PAID').execute();
  return rows.map((row) => {
    const line = lines.find((l) => l.invoice_id === row.invoice_id);
    const commissionCents = row.voided_at ? 0 : row.commission_cents;
    return {
      id: row.id,
      affiliate_id: row.affiliate_id,
      affiliate_email: affiliates.find((a) => a.id === row.affiliate_id)?.email,
      order_id: row.invoice_id,
      invoice_v2_id: row.invoice_id,
      product_variant_id: line?.variant_id ?? 0,
      product_title: line?.product_title ?? null,
      variant_title: line?.variant_title ?? null,
      amount_usd_cents: row.paid_amount_cents,
      currency: row.currency,
      commission: rateCommission(firstRate(row.calculation), commissionCents),
      status: referralStatus(
        row,
        paid.some((p) => p.id === row.payout_id),
      ),
      eligible_for_payout_at: laravelTime(row.eligible_at),
      payout_id: row.payout_id,
      livemode: row.livemode,
      created_at: laravelTime(row.created_at),
      updated_at: laravelTime(row.updated_at),
    };
  });
}

// --- referral sessions ---------------------------------------------------------------------

/** A store's referral-link visits (what the spec calls referral sessions); nothing selected yet. */
export function storeReferralSessions(db: Db, storeId: number, filter: { affiliate_id?: number }) {
  let base = db
    .selectFrom('affiliate_clicks as c')
    .innerJoin('affiliates as a', 'a.id', 'c.affiliate_id')
    .where('c.store_id', '=', storeId);
  if (filter.affiliate_id) base = base.where('c.affiliate_id', '=', filter.affiliate_id);
  return base;
}

export const SESSION_COLUMNS = ['c.id', 'c.affiliate_id', 'c.visitor_id', 'c.customer_email', 'c.clicked_at', 'a.email'] as const;

export function findReferralSession(db: Db, storeId: number, id: number) {
  return storeReferralSessions(db, storeId, {}).select(SESSION_COLUMNS).where('c.id', '=', id).executeTakeFirst();
}

/** A visit attributes orders for the program's tracking days after it. */
export function referralSessionView(
  row: {
    id: number;
    affiliate_id: number;
    visitor_id: string | null;
    customer_email: string | null;
    clicked_at: Date;
    email: string;
  },
  trackingDays: number,
) {
  return {
    id: row.id,
    session_id: row.visitor_id ?? row.customer_email ?? String(row.id),
    affiliate_id: row.affiliate_id,
    affiliate_email: row.email,
    expires_at: laravelTime(new Date(row.clicked_at.getTime() + trackingDays * 86_400_000)),
    created_at: laravelTime(row.clicked_at),
    updated_at: laravelTime(row.clicked_at),
  };
}

// --- payouts -------------------------------------------------------------------------------

/** A store's payouts of one mode with what the official model adds (e-mail, referral count); nothing selected yet. */
export function officialPayouts(db: Db, storeId: number, livemode: boolean, filter: { status?: 'DUE' | 'PAID'; affiliate_id?: number }) {
  return storePayouts(db, storeId, livemode, filter);
}

export async function findOfficialPayout(db: Db, storeId: number, livemode: boolean, id: number) {
  const row = await officialPayouts(db, storeId, livemode, {})
    .select(PAYOUT_COLUMNS)
    .select('a.email')
    .select(referralCount)
    .where('p.id', '=', id)
    .executeTakeFirst();
  if (!row) throw new AffiliateNotFoundError('Payout');
  return row;
}

/** ListAffiliatePayouts…DataItem: the destination masked, the amount in cents of its currency. */
export function officialPayoutView(row: PayoutRow & { email: string; referrals: string | number | null }, box: SecretBox) {
  return {
    id: row.id,
    affiliate_id: row.affiliate_id,
    affiliate_email: row.email,
    amount_usd_cents: row.amount_cents,
    currency: row.currency,
    status: row.status.toLowerCase(),
    payout_method: row.payout_method,
    payout_account: maskedAccount(row.payout_details_sealed ? box.open(row.payout_details_sealed) : null),
    referrals_count: Number(row.referrals ?? 0),
    cycle_date: row.cycle_date,
    livemode: row.livemode,
    created_at: laravelTime(row.created_at),
    updated_at: laravelTime(row.paid_at ?? row.created_at),
  };
}
