import { defineQuery, defineSignal } from '@temporalio/workflow';

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
