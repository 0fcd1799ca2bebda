/**
 * The subscription's rules, without I/O: how a provider's news changes our record, when
 * access ends, and what the subscription workflow must do next. Every change is to an
 * absolute period, never "one more interval", so a duplicate or late event cannot extend
 * twice, and nothing brings back a subscription that has ended.
 */
export const SUBSCRIPTION_STATUSES = ['ACTIVE', 'PAST_DUE', 'CANCELED', 'EXPIRED'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

export const hasEnded = (status: SubscriptionStatus): boolean => status === 'CANCELED' || status === 'EXPIRED';

export type EndReason = 'canceled' | 'canceled_at_period_end' | 'canceled_by_provider' | 'unpaid';

export interface SubscriptionSnapshot {
  status: SubscriptionStatus;
  currentPeriodStart: Date;
  currentPeriodEnd: Date;
  cancelAtPeriodEnd: boolean;
  cancellationInProgress: boolean;
  paymentFailedAt: Date | null;
  /** False while the period is our guess (created before the provider stated one). */
  periodConfirmed: boolean;
}

export interface SubscriptionPatch {
  status?: SubscriptionStatus;
  currentPeriodStart?: Date;
  currentPeriodEnd?: Date;
  cancelAtPeriodEnd?: boolean;
  cancellationInProgress?: boolean;
  paymentFailedAt?: Date | null;
  periodConfirmed?: boolean;
  endedAt?: Date;
  endReason?: EndReason;
  providerEnded?: boolean;
}

export type SubscriptionEventType = 'subscription.updated' | 'subscription.canceled' | 'subscription.payment_failed';

export interface LifecycleChange {
  patch: SubscriptionPatch;
  events: { type: SubscriptionEventType; data: Record<string, unknown> }[];
  /** Why nothing changed (duplicate, stale, already ended), for the record. */
  ignored?: 'stale' | 'ended' | 'paid_after_end' | 'already_past_due';
}

/** What a provider told us, already translated out of its own vocabulary. */
export type ProviderChange =
  | { kind: 'paid'; periodStart: Date; periodEnd: Date }
  | { kind: 'payment_failed'; periodEnd: Date | null; at: Date }
  | { kind: 'updated'; providerStatus: string; periodStart: Date | null; periodEnd: Date | null; cancelAtPeriodEnd: boolean; at: Date }
  | { kind: 'deleted'; at: Date };

const PROVIDER_ENDED = new Set(['canceled', 'incomplete_expired']);
const PROVIDER_UNPAID = new Set(['past_due', 'unpaid']);

const iso = (d: Date) => d.toISOString();

function extend(s: SubscriptionSnapshot, periodStart: Date, periodEnd: Date): LifecycleChange | null {
  // A period we guessed gives way to the first one the provider states, even a shorter one.
  if (periodEnd.getTime() > s.currentPeriodEnd.getTime() || !s.periodConfirmed) {
    return {
      patch: { status: 'ACTIVE', currentPeriodStart: periodStart, currentPeriodEnd: periodEnd, paymentFailedAt: null, periodConfirmed: true },
      events: [{ type: 'subscription.updated', data: { reason: s.periodConfirmed ? 'renewed' : 'period_confirmed', current_period_start: iso(periodStart), current_period_end: iso(periodEnd) } }],
    };
  }
  // The current period's payment went through after a failure: access is back to normal.
  if (s.status === 'PAST_DUE' && periodEnd.getTime() === s.currentPeriodEnd.getTime()) {
    return { patch: { status: 'ACTIVE', paymentFailedAt: null }, events: [{ type: 'subscription.updated', data: { reason: 'payment_recovered' } }] };
  }
  return null;
}

function fail(s: SubscriptionSnapshot, periodEnd: Date | null, at: Date): LifecycleChange {
  // A failure for a period we already hold paid is old news.
  if (periodEnd && periodEnd.getTime() <= s.currentPeriodEnd.getTime() && s.status === 'ACTIVE') return { patch: {}, events: [], ignored: 'stale' };
  if (s.status === 'PAST_DUE') return { patch: {}, events: [], ignored: 'already_past_due' };
  return { patch: { status: 'PAST_DUE', paymentFailedAt: at }, events: [{ type: 'subscription.payment_failed', data: { failed_at: iso(at), current_period_end: iso(s.currentPeriodEnd) } }] };
}

function end(s: SubscriptionSnapshot, at: Date): LifecycleChange {
  const reason: EndReason = s.cancellationInProgress ? 'canceled' : 'canceled_by_provider';
  return {
    patch: { status: 'CANCELED', cancellationInProgress: false, endedAt: at, endReason: reason, providerEnded: true },
    events: [{ type: 'subscription.canceled', data: { reason } }],
  };
}

export function applyProviderChange(s: SubscriptionSnapshot, change: ProviderChange): LifecycleChange {
  if (hasEnded(s.status)) {
    if (change.kind === 'deleted' || (change.kind === 'updated' && PROVIDER_ENDED.has(change.providerStatus))) {
      return { patch: { cancellationInProgress: false, providerEnded: true }, events: [] };
    }
    return { patch: {}, events: [], ignored: change.kind === 'paid' ? 'paid_after_end' : 'ended' };
  }
  switch (change.kind) {
    case 'paid':
      return extend(s, change.periodStart, change.periodEnd) ?? { patch: {}, events: [], ignored: 'stale' };
    case 'payment_failed':
      return fail(s, change.periodEnd, change.at);
    case 'deleted':
      return end(s, change.at);
    case 'updated': {
      if (PROVIDER_ENDED.has(change.providerStatus)) return end(s, change.at);
      // Periods move only with a payment: Stripe advances a subscription's period when it
      // starts billing the next one, before the money is in.
      const result: LifecycleChange = { patch: {}, events: [] };
      if (PROVIDER_UNPAID.has(change.providerStatus)) {
        const failed = fail(s, change.periodEnd, change.at);
        Object.assign(result.patch, failed.patch);
        result.events.push(...failed.events);
      }
      // An immediate cancellation on its way wins over a scheduled flag flipping back.
      if (!s.cancellationInProgress && change.cancelAtPeriodEnd !== s.cancelAtPeriodEnd) {
        result.patch.cancelAtPeriodEnd = change.cancelAtPeriodEnd;
        result.events.push({ type: 'subscription.updated', data: { reason: change.cancelAtPeriodEnd ? 'cancel_scheduled' : 'cancel_unscheduled' } });
      }
      if (result.events.length === 0) result.ignored = 'stale';
      return result;
    }
  }
}

/** When access ends if nothing else happens: the period end, plus grace unless canceled. */
export function accessEndsAt(s: Pick<SubscriptionSnapshot, 'currentPeriodEnd' | 'cancelAtPeriodEnd'>, graceMs: number): Date {
  return new Date(s.currentPeriodEnd.getTime() + (s.cancelAtPeriodEnd ? 0 : graceMs));
}

/** The deadline passed: the subscription ends, canceled if the seller asked, expired if unpaid. */
export function settleAtDeadline(s: SubscriptionSnapshot, graceMs: number, now: Date): LifecycleChange | null {
  if (hasEnded(s.status) || s.cancellationInProgress) return null;
  if (now.getTime() < accessEndsAt(s, graceMs).getTime()) return null;
  const endReason: EndReason = s.cancelAtPeriodEnd ? 'canceled_at_period_end' : 'unpaid';
  return {
    patch: { status: s.cancelAtPeriodEnd ? 'CANCELED' : 'EXPIRED', endedAt: now, endReason },
    events: [{ type: 'subscription.canceled', data: { reason: endReason, current_period_end: iso(s.currentPeriodEnd) } }],
  };
}

export interface SubscriptionProgress extends SubscriptionSnapshot {
  cancelRequested: boolean;
  cancelRequestSentAt: Date | null;
  paymentFailureNotifiedAt: Date | null;
  entitlementsRevoked: boolean;
  providerEnded: boolean;
}

export type SubscriptionStep =
  | { kind: 'send_cancellation' }
  | { kind: 'revoke' }
  | { kind: 'end_at_provider' }
  | { kind: 'notify_payment_failed' }
  | { kind: 'confirm_cancellation' }
  | { kind: 'settle' }
  | { kind: 'wait'; until: Date; then: 'settle' | 'confirm_cancellation' }
  | { kind: 'finished' };

/**
 * The one thing the workflow does next. Ended: revoke, then make sure the provider stops
 * billing. Canceling now: revoke at once, then wait for the provider to confirm.
 */
export function nextStep(s: SubscriptionProgress, timing: { graceMs: number; confirmWindowMs: number }, now: Date): SubscriptionStep {
  const ended = hasEnded(s.status);
  if (s.cancelRequested && !s.cancelRequestSentAt && !ended) return { kind: 'send_cancellation' };
  if (ended) {
    if (!s.entitlementsRevoked) return { kind: 'revoke' };
    if (!s.providerEnded) return { kind: 'end_at_provider' };
    return { kind: 'finished' };
  }
  if (s.cancellationInProgress && s.cancelRequestSentAt) {
    if (!s.entitlementsRevoked) return { kind: 'revoke' };
    const until = new Date(s.cancelRequestSentAt.getTime() + timing.confirmWindowMs);
    return now.getTime() >= until.getTime() ? { kind: 'confirm_cancellation' } : { kind: 'wait', until, then: 'confirm_cancellation' };
  }
  if (s.status === 'PAST_DUE' && s.paymentFailedAt && (!s.paymentFailureNotifiedAt || s.paymentFailureNotifiedAt < s.paymentFailedAt)) {
    return { kind: 'notify_payment_failed' };
  }
  const until = accessEndsAt(s, timing.graceMs);
  return now.getTime() >= until.getTime() ? { kind: 'settle' } : { kind: 'wait', until, then: 'settle' };
}
