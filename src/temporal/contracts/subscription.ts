import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { SubscriptionAction, SubscriptionChange } from '../../db/schema/subscriptions';

/** The subscription workflow's messages, shared by the API, the webhooks and the workflow. */
export interface SubscriptionInput {
  subscriptionId: number;
  storeId: number;
}

export type SubscriptionStepKind =
  | 'send_cancellation'
  | 'revoke'
  | 'end_at_provider'
  | 'notify_payment_failed'
  | 'confirm_cancellation'
  | 'settle'
  | 'verify_renewal'
  | 'wait'
  | 'finished';

/** What the record says to do next (decided by domain/subscription-lifecycle.nextStep). */
export interface SubscriptionPlan {
  status: string;
  step: SubscriptionStepKind;
  /** For `wait`: the ISO time the deadline falls. */
  until: string | null;
  /** How many rounds one run handles before it continues as new (from the worker's config). */
  roundsPerRun: number;
  /** What each lifecycle action may do now, and why not (the validators' first answer). */
  capabilities?: Record<string, { allowed: boolean; reason: string | null }>;
}

export interface SubscriptionState {
  status: string;
  step: SubscriptionStepKind | 'starting';
  waitingUntil: string | null;
  /** Rounds in this run; a new run (continueAsNew) starts again from 0. */
  rounds: number;
}

export interface SubscriptionOutcome {
  subscriptionId: number;
  status: string;
}

export type SubscriptionWorkflow = (input: SubscriptionInput) => Promise<SubscriptionOutcome>;

/** Our record changed (renewal, failure, cancel, provider news): read it again. */
export const subscriptionChangedSignal = defineSignal<[{ reason: string }]>('subscriptionChanged');
export const subscriptionStateQuery = defineQuery<SubscriptionState>('subscriptionState');

export interface SubscriptionActionRequest {
  action: SubscriptionAction;
  /** The same key is the same action (the request's Idempotency-Key, or one of its own). */
  requestKey: string;
  actor: 'seller' | 'customer';
  /** change_plan and shift_billing_date: the preview token this confirm applies (nothing else). */
  previewToken?: string;
}

/** The action's record as the API answers it (the official subscription action model). */
export interface SubscriptionActionView {
  id: number;
  product_subscription_id: number;
  subscription_id: string;
  action: SubscriptionAction;
  status: 'pending' | 'confirmed' | 'failed';
  provider: string;
  customer_message: string | null;
  confirmed_at: string | null;
  failed_at: string | null;
  created_at: string;
  updated_at: string;
}

/** What the action's activity decided under the row lock: the recorded action, or why not. */
export type SubscriptionActionDecision = { actionId: number } | { refused: string; message: string };

/** The capability (src/domain/subscription-capabilities.ts) each action needs. */
export const CAPABILITY_OF: Record<SubscriptionAction, string> = {
  pause: 'pause',
  resume: 'resume',
  cancel_at_period_end: 'cancel_period_end',
  cancel_immediately: 'cancel_immediately',
  change_plan: 'change_plan',
  shift_billing_date: 'shift_billing_date',
};

/** The ApplicationFailure type an action is refused with; its first detail is the capability's reason. */
export const SUBSCRIPTION_ACTION_REFUSED = 'SubscriptionActionRefused';

/**
 * A lifecycle action (pause, resume, cancel at period end or now), decided by the workflow: its
 * validator refuses what the capabilities it last read forbid, its handler decides again under
 * the row lock, records the action and tells the provider; the answer is the action record.
 */
export const subscriptionActionUpdate = defineUpdate<SubscriptionActionView, [SubscriptionActionRequest]>('subscriptionAction');

export interface PaymentMethodUpdateRequest {
  /** The same key is the same hosted session (Stripe's idempotency key names it). */
  requestKey: string;
  /** Where the provider's page sends the customer back. */
  returnUrl?: string;
}

/**
 * update-payment-method: the workflow answers with the provider's hosted page where the customer
 * replaces their card. Nothing of the record changes (the provider bills the new card), so it
 * runs beside the loop; the validator and the activity refuse what the capabilities forbid.
 */
export const paymentMethodUpdate = defineUpdate<{ url: string }, [PaymentMethodUpdateRequest]>('paymentMethodUpdate');

export interface SubscriptionChangePreviewRequest {
  action: SubscriptionChange;
  /** The same key is the same preview (the request's Idempotency-Key, or one of its own). */
  requestKey: string;
  actor: 'seller' | 'customer';
  /** change_plan: the variant to move to. */
  targetVariantId?: number;
  /** shift_billing_date: the new renewal date (ISO). */
  renewalDate?: string;
  reason?: string | null;
}

/** What a change would do, as the confirm will do it. */
export interface SubscriptionChangePreviewView {
  preview_token: string;
  expires_at: string;
  action: SubscriptionChange;
  /** What the confirm applies: the plan or date, and the money it charges now (negative: credit). */
  preview_payload: {
    current_variant_id: number;
    target_variant_id: number | null;
    current_renewal_date: string;
    renewal_date: string | null;
    proration_date: string | null;
    total_cents: number;
    amount_due_cents: number;
    credit_cents: number;
    currency: string;
  };
  request_payload: { target_variant_id?: number; renewal_date?: string; reason?: string | null };
  customer_message: string | null;
  seller_message: string | null;
}

/**
 * change-plan and change-renewal-date preview: the workflow asks the provider what the change
 * would charge (Stripe's invoice preview at a fixed proration date) and records it, beside the
 * loop (nothing of the subscription changes); the confirm is a subscriptionActionUpdate naming
 * the preview's token.
 */
export const subscriptionChangePreviewUpdate = defineUpdate<SubscriptionChangePreviewView, [SubscriptionChangePreviewRequest]>(
  'subscriptionChangePreview',
);
