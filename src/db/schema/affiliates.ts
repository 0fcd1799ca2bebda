import type { ColumnType, Generated } from 'kysely';
import type { AffiliateStatus } from '../../domain/affiliate-status';
import type { ReferrerOrder } from '../../domain/attribution';
import type { CommissionType } from '../../domain/commission';
import type { ReferralStatus } from '../../domain/referral-status';

type Json<T> = ColumnType<T, string, string>;

export interface AffiliateProgramsTable {
  store_id: number;
  enabled: Generated<boolean>;
  auto_approve: Generated<boolean>;
  auto_accept_referrals: Generated<boolean>;
  commission_type: Generated<CommissionType>;
  /** PERCENTAGE: basis points; AMOUNT: cents. */
  commission_value: Generated<number>;
  minimum_payout_cents: Generated<number>;
  tracking_days: Generated<number>;
  referrer_order: Generated<ReferrerOrder>;
  payout_methods: ColumnType<string[], string[] | undefined, string[]>;
  custom_products: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface AffiliatesTable {
  id: Generated<number>;
  store_id: number;
  code: string | null;
  email: string;
  name: string | null;
  status: AffiliateStatus;
  payout_method: string | null;
  payout_details_sealed: string | null;
  message: string | null;
  commission_type: CommissionType | null;
  commission_value: number | null;
  eligible_products: ColumnType<number[], number[] | undefined, number[]>;
  invite_token_hash: string | null;
  invited_at: Date | null;
  applied_at: Date | null;
  reviewed_at: Date | null;
  disabled_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface AffiliateProductRatesTable {
  store_id: number;
  product_id: number;
  commission_type: CommissionType;
  commission_value: number;
}

export interface AffiliateClicksTable {
  id: Generated<number>;
  store_id: number;
  affiliate_id: number;
  visitor_id: string | null;
  customer_email: string | null;
  clicked_at: Generated<Date>;
}

export interface AffiliatePayoutCyclesTable {
  id: Generated<number>;
  store_id: number;
  /** YYYY-MM-DD in the store's time zone. */
  cycle_date: string;
  /** Referrals eligible by this instant are paid in this cycle. */
  cutoff: Date;
  trigger: string;
  payouts_created: number;
  created_at: Generated<Date>;
}

export interface AffiliatePayoutsTable {
  id: Generated<number>;
  store_id: number;
  affiliate_id: number;
  /** Null for a payout asked for one affiliate, outside any cycle. */
  cycle_id: number | null;
  livemode: boolean;
  status: Generated<'DUE' | 'PAID'>;
  amount_cents: number;
  currency: string;
  payout_method: string | null;
  payout_details_sealed: string | null;
  created_at: Generated<Date>;
  paid_at: Date | null;
}

export interface ReferralTimelineEntry {
  status: string;
  at: string;
  note?: string;
}

export interface AffiliateReferralsTable {
  id: Generated<number>;
  store_id: number;
  affiliate_id: number;
  invoice_id: number;
  livemode: boolean;
  status: ReferralStatus;
  source: string;
  paid_amount_cents: number;
  commission_cents: number;
  currency: string;
  calculation: Json<Record<string, unknown>>;
  payment_method: string;
  purchased_at: Date;
  eligible_at: Date;
  voided_at: Date | null;
  void_reason: string | null;
  payout_id: number | null;
  timeline: Json<ReferralTimelineEntry[]>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
