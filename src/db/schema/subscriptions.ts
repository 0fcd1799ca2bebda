import type { ColumnType, Generated } from 'kysely';
import type { SubscriptionStatus } from '../../domain/subscription-lifecycle';

type Json<T> = ColumnType<T, string | undefined, string>;

/** The seller's cancellation, as asked; the refund amount is fixed when it is asked. */
export interface SubscriptionCancelRequest {
  at_period_end: boolean;
  refund_cents: number;
  refund_payment_id: number | null;
  requested_at: string;
  /** Raised each time the provider is asked again (it never confirmed): a fresh idempotency key. */
  attempt?: number;
}

export interface SubscriptionsTable {
  id: Generated<number>;
  store_id: number;
  livemode: boolean;
  invoice_id: number;
  product_variant_id: number;
  provider: string;
  provider_subscription_id: string;
  provider_customer_id: string | null;
  customer_email: string;
  status: SubscriptionStatus;
  current_period_start: Date;
  current_period_end: Date;
  period_confirmed: boolean;
  cancel_at_period_end: Generated<boolean>;
  cancellation_in_progress: Generated<boolean>;
  cancel_request: ColumnType<SubscriptionCancelRequest | null, string | null | undefined, string | null>;
  cancel_request_sent_at: Date | null;
  payment_failed_at: Date | null;
  payment_failure_notified_at: Date | null;
  ended_at: Date | null;
  end_reason: string | null;
  entitlements_revoked_at: Date | null;
  provider_ended_at: Date | null;
  provider_end_attempt: Generated<number>;
  provider_event_at: Date | null;
  renewal_checked_at: Date | null;
  /** Set while paused: no renewals until resumed. */
  paused_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type SubscriptionAction = 'pause' | 'resume' | 'cancel_at_period_end' | 'cancel_immediately' | SubscriptionChange;

/** The actions a preview shows first (change-plan and change-renewal-date). */
export type SubscriptionChange = 'change_plan' | 'shift_billing_date';

/** One lifecycle action the subscription workflow took (the official action record). */
export interface SubscriptionActionsTable {
  id: Generated<number>;
  subscription_id: number;
  store_id: number;
  action: SubscriptionAction;
  status: 'pending' | 'confirmed' | 'failed';
  actor: 'seller' | 'customer';
  /** The same key is the same action: a retried request answers with its first record. */
  request_key: string;
  customer_message: string | null;
  confirmed_at: Date | null;
  failed_at: Date | null;
  /** The preview a change_plan or shift_billing_date confirmed. */
  preview_id: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** What a change's preview showed: its confirm applies exactly this, once. */
export interface SubscriptionChangePreviewsTable {
  id: Generated<number>;
  subscription_id: number;
  store_id: number;
  action: SubscriptionChange;
  actor: 'seller' | 'customer';
  request_key: string;
  token_hash: string;
  token_sealed: string;
  from_variant_id: number;
  to_variant_id: number | null;
  /** The period the preview was computed in: a renewal since makes it stale. */
  period_end: Date;
  renewal_date: Date | null;
  /** The instant Stripe prorates from, in the preview and in the confirm alike. */
  proration_date: Date | null;
  /** What the confirm charges now (negative: credits). */
  total_cents: number;
  currency: string;
  reason: string | null;
  expires_at: Date;
  action_id: number | null;
  created_at: Generated<Date>;
}

export interface SubscriptionPaymentsTable {
  id: Generated<number>;
  subscription_id: number;
  provider_invoice_id: string;
  provider_payment_intent_id: string | null;
  amount_cents: number;
  currency: string;
  period_start: Date;
  period_end: Date;
  paid_at: Date;
  refunded_cents: Generated<number>;
  provider_refund_id: string | null;
}

export interface SubscriptionReconciliationsTable {
  id: Generated<number>;
  trigger: string;
  /** The store a run covers; null for the scheduled run over every store. */
  store_id: number | null;
  status: Generated<'running' | 'finished'>;
  total: Generated<number>;
  checked: Generated<number>;
  repaired: Generated<number>;
  started_at: Generated<Date>;
  finished_at: Date | null;
}

export interface SubscriptionRepairsTable {
  id: Generated<number>;
  reconciliation_id: number;
  subscription_id: number;
  store_id: number;
  problem: string;
  action: string;
  detail: Json<Record<string, unknown>>;
  created_at: Generated<Date>;
}
