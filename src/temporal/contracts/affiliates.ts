/** The affiliate workflows' inputs and answers, shared by the API, the schedule and the workflows. */
export interface PayoutCycleInput {
  storeId: number;
  trigger: 'schedule' | 'manual' | 'backfill';
  /** Set for manual and backfill runs; a scheduled run derives it from its scheduled time. */
  cycleDate?: string;
  /** When the run counts from: the schedule's time, or the moment ops asked. */
  at?: string;
}

export interface PayoutCycleReport {
  cycle_id: number;
  cycle_date: string;
  cutoff: string;
  trigger: string;
  /** False when this cycle had already run: nothing new was created. */
  created: boolean;
  payouts: { id: number; affiliate_id: number; amount_cents: number; currency: string; livemode: boolean; referrals: number }[];
}

export type AffiliatePayoutCycleWorkflow = (input: PayoutCycleInput) => Promise<PayoutCycleReport>;

export interface AffiliateInviteInput {
  affiliateId: number;
  applicationUrl: string;
}

export type AffiliateInviteWorkflow = (input: AffiliateInviteInput) => Promise<string>;
