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
  /** When the newest provider update we applied was sent: older ones are stale. */
  providerEventAt: Date | null;
  /** A seller's cancellation is recorded but not yet sent: the provider's flag is behind it. */
  cancelPending: boolean;
}

export interface SubscriptionPatch {
  status?: SubscriptionStatus;
  currentPeriodStart?: Date;
  currentPeriodEnd?: Date;
  cancelAtPeriodEnd?: boolean;
  cancellationInProgress?: boolean;
  paymentFailedAt?: Date | null;
  periodConfirmed?: boolean;
  providerEventAt?: Date;
  endedAt?: Date;
  endReason?: EndReason;
  providerEnded?: boolean;
}

/** The spec's names: a renewal is `subscription.renewed`, an end `subscription.cancelled` (the seed's names are recorded beside them). */
export type SubscriptionEventType =
  'subscription.updated' | 'subscription.renewed' | 'subscription.cancelled' | 'subscription.payment_failed';

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
      patch: {
        status: 'ACTIVE',
        currentPeriodStart: periodStart,
        currentPeriodEnd: periodEnd,
        paymentFailedAt: null,
        periodConfirmed: true,
      },
      events: [
        {
          type: s.periodConfirmed ? 'subscription.renewed' : 'subscription.updated',
          data: {
            reason: s.periodConfirmed ? 'renewed' : 'period_confirmed',
            current_period_start: iso(periodStart),
            current_period_end: iso(periodEnd),
          },
        },
      ],
    };
  }
  // The current period's payment went through after a failure: access is back to normal.
  if (s.status === 'PAST_DUE' && periodEnd.getTime() === s.currentPeriodEnd.getTime()) {
    return {
      patch: { status: 'ACTIVE', paymentFailedAt: null },
      events: [{ type: 'subscription.updated', data: { reason: 'payment_recovered' } }],
    };
  }
  return null;
}

function fail(s: SubscriptionSnapshot, periodEnd: Date | null, at: Date): LifecycleChange {
  // A failure for a period we already hold paid is old news.
  if (periodEnd && periodEnd.getTime() <= s.currentPeriodEnd.getTime() && s.status === 'ACTIVE')
    return { patch: {}, events: [], ignored: 'stale' };
  if (s.status === 'PAST_DUE') return { patch: {}, events: [], ignored: 'already_past_due' };
  return {
    patch: { status: 'PAST_DUE', paymentFailedAt: at },
    events: [{ type: 'subscription.payment_failed', data: { failed_at: iso(at), current_period_end: iso(s.currentPeriodEnd) } }],
  };
}

function end(s: SubscriptionSnapshot, at: Date): LifecycleChange {
  const reason: EndReason = s.cancellationInProgress ? 'canceled' : 'canceled_by_provider';
  return {
    patch: { status: 'CANCELED', cancellationInProgress: false, endedAt: at, endReason: reason, providerEnded: true },
    events: [{ type: 'subscription.cancelled', data: { reason } }],
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
      if (s.providerEventAt && change.at.getTime() < s.providerEventAt.getTime()) return { patch: {}, events: [], ignored: 'stale' };
      const result: LifecycleChange = { patch: { providerEventAt: change.at }, events: [] };
      if (PROVIDER_UNPAID.has(change.providerStatus)) {
        const failed = fail(s, change.periodEnd, change.at);
        Object.assign(result.patch, failed.patch);
        result.events.push(...failed.events);
      }
      // A cancellation of ours on its way wins over the provider's flag until it is sent.
      if (!s.cancellationInProgress && !s.cancelPending && change.cancelAtPeriodEnd !== s.cancelAtPeriodEnd) {
        result.patch.cancelAtPeriodEnd = change.cancelAtPeriodEnd;
        result.events.push({
          type: 'subscription.updated',
          data: { reason: change.cancelAtPeriodEnd ? 'cancel_scheduled' : 'cancel_unscheduled' },
        });
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

/** The deadline (and, for a renewal never reported failed, the leeway) passed: the subscription ends, canceled if the seller asked, expired if unpaid. */
export function settleAtDeadline(
  s: SubscriptionSnapshot,
  timing: Pick<SubscriptionTiming, 'graceMs' | 'renewalLeewayMs'>,
  now: Date,
): LifecycleChange | null {
  if (hasEnded(s.status) || s.cancellationInProgress) return null;
  if (now.getTime() < settleDeadline(s, timing).getTime()) return null;
  const endReason: EndReason = s.cancelAtPeriodEnd ? 'canceled_at_period_end' : 'unpaid';
  return {
    patch: { status: s.cancelAtPeriodEnd ? 'CANCELED' : 'EXPIRED', endedAt: now, endReason },
    events: [{ type: 'subscription.cancelled', data: { reason: endReason, current_period_end: iso(s.currentPeriodEnd) } }],
  };
}

export interface SubscriptionProgress extends SubscriptionSnapshot {
  cancelRequested: boolean;
  cancelRequestSentAt: Date | null;
  paymentFailureNotifiedAt: Date | null;
  entitlementsRevoked: boolean;
  providerEnded: boolean;
  /** When we last asked the provider about an overdue renewal. */
  renewalCheckedAt: Date | null;
  /** Paused: no renewal is due, so no deadline runs until it is resumed. */
  pausedAt: Date | null;
}

/** A paused subscription has no deadline; the workflow still looks again now and then. */
export const PAUSED_RECHECK_MS = 24 * 3600 * 1000;

export type SubscriptionStep =
  | { kind: 'send_cancellation' }
  | { kind: 'revoke' }
  | { kind: 'end_at_provider' }
  | { kind: 'notify_payment_failed' }
  | { kind: 'confirm_cancellation' }
  | { kind: 'settle' }
  | { kind: 'verify_renewal' }
  | { kind: 'wait'; until: Date; then: 'settle' | 'confirm_cancellation' | 'verify_renewal' }
  | { kind: 'finished' };

export interface SubscriptionTiming {
  graceMs: number;
  confirmWindowMs: number;
  /** An overdue renewal with no failure reported: how often to ask the provider, and for how long. */
  renewalCheckMs: number;
  renewalLeewayMs: number;
}

/**
 * The one thing the workflow does next. A cancellation the seller asked for is sent first,
 * even if the subscription ended meanwhile (its refund is still owed). Ended: revoke, then
 * make sure the provider stops billing. Canceling now: revoke at once, then wait for the
 * provider to confirm. Past its deadline with no failure reported, a subscription is not
 * ended on our clock alone: the provider is asked (its renewal may be under way) for up
 * to the leeway.
 */
export function nextStep(s: SubscriptionProgress, timing: SubscriptionTiming, now: Date): SubscriptionStep {
  const ended = hasEnded(s.status);
  if (s.cancelRequested && !s.cancelRequestSentAt) return { kind: 'send_cancellation' };
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
  if (s.pausedAt) return { kind: 'wait', until: new Date(now.getTime() + PAUSED_RECHECK_MS), then: 'verify_renewal' };
  if (s.status === 'PAST_DUE' && s.paymentFailedAt && (!s.paymentFailureNotifiedAt || s.paymentFailureNotifiedAt < s.paymentFailedAt)) {
    return { kind: 'notify_payment_failed' };
  }
  const until = accessEndsAt(s, timing.graceMs);
  if (now.getTime() < until.getTime())
    return { kind: 'wait', until, then: s.status === 'ACTIVE' && !s.cancelAtPeriodEnd ? 'verify_renewal' : 'settle' };
  if (s.status !== 'ACTIVE' || s.cancelAtPeriodEnd || now.getTime() >= until.getTime() + timing.renewalLeewayMs) return { kind: 'settle' };
  if (!s.renewalCheckedAt || s.renewalCheckedAt.getTime() < until.getTime()) return { kind: 'verify_renewal' };
  const next = new Date(Math.min(s.renewalCheckedAt.getTime() + timing.renewalCheckMs, until.getTime() + timing.renewalLeewayMs));
  return now.getTime() >= next.getTime() ? { kind: 'verify_renewal' } : { kind: 'wait', until: next, then: 'verify_renewal' };
}

/** When an unrenewed subscription ends: ACTIVE ones (no failure reported) wait out the renewal leeway too. */
export function settleDeadline(
  s: Pick<SubscriptionSnapshot, 'status' | 'currentPeriodEnd' | 'cancelAtPeriodEnd'>,
  timing: Pick<SubscriptionTiming, 'graceMs' | 'renewalLeewayMs'>,
): Date {
  const until = accessEndsAt(s, timing.graceMs);
  return s.status === 'ACTIVE' && !s.cancelAtPeriodEnd ? new Date(until.getTime() + timing.renewalLeewayMs) : until;
}
