import type { SubscriptionStatus } from './subscription-lifecycle';

/** What a subscription's state allows of one action now, and why not. */
export interface Capability {
  allowed: boolean;
  reason: string | null;
}

export interface SubscriptionState {
  status: SubscriptionStatus;
  provider: string;
  cancelAtPeriodEnd: boolean;
  cancellationInProgress: boolean;
  endedAt: Date | null;
  pausedAt: Date | null;
}

const yes: Capability = { allowed: true, reason: null };
const no = (reason: string): Capability => ({ allowed: false, reason });

/**
 * The lifecycle actions a subscription in this state allows: an ended subscription allows none;
 * a cancellation under way blocks everything until it lands; cancelling at period end once is
 * enough; pausing needs a provider that can hold its billing (Stripe, PayPal), a change of plan,
 * renewal date or card one we can make it at (Stripe; at PayPal a plan revision needs the buyer's
 * approval, and the funding source is the buyer's to change there); a paused subscription can be
 * resumed or cancelled, nothing else. The names are the official spec's (a renewal date change is
 * `shift_billing_date`, the action it confirms).
 */
export function subscriptionCapabilities(s: SubscriptionState): Record<string, Capability> {
  const ended = s.endedAt !== null || s.status === 'CANCELED' || s.status === 'EXPIRED';
  const blocked = ended ? no('subscription_ended') : s.cancellationInProgress ? no('cancellation_in_progress') : null;
  const provider = s.provider.toUpperCase();
  const billed = provider === 'STRIPE' ? null : no('provider_not_supported');
  const pausable = provider === 'STRIPE' || provider === 'PAYPAL' ? null : no('provider_not_supported');
  const renewing = s.cancelAtPeriodEnd ? no('cancels_at_period_end') : null;
  const paused = s.pausedAt ? no('paused') : null;
  return {
    cancel_period_end: blocked ?? renewing ?? yes,
    cancel_immediately: blocked ?? yes,
    pause: blocked ?? paused ?? pausable ?? renewing ?? (s.status === 'PAST_DUE' ? no('past_due') : yes),
    resume: blocked ?? (s.pausedAt ? (pausable ?? yes) : no('not_paused')),
    update_payment_method: blocked ?? billed ?? yes,
    change_plan: blocked ?? paused ?? billed ?? renewing ?? yes,
    shift_billing_date: blocked ?? paused ?? billed ?? renewing ?? yes,
  };
}
