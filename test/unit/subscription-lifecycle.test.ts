import {
  applyProviderChange,
  nextStep,
  PAUSED_RECHECK_MS,
  settleAtDeadline,
  type SubscriptionProgress,
  type SubscriptionSnapshot,
} from '../../src/domain/subscription-lifecycle';

const t = (s: number) => new Date(Date.UTC(2026, 0, 1) + s * 1000);
const active: SubscriptionSnapshot = {
  status: 'ACTIVE',
  currentPeriodStart: t(0),
  currentPeriodEnd: t(100),
  cancelAtPeriodEnd: false,
  cancellationInProgress: false,
  paymentFailedAt: null,
  periodConfirmed: true,
  providerEventAt: null,
  cancelPending: false,
};

describe('applyProviderChange', () => {
  it('extends to the paid period, and a redelivery or an older payment changes nothing', () => {
    const renewed = applyProviderChange(active, { kind: 'paid', periodStart: t(100), periodEnd: t(200) });
    expect(renewed.patch).toMatchObject({ status: 'ACTIVE', currentPeriodEnd: t(200) });
    // The spec's name of a renewal (the seed's subscription.updated is recorded beside it).
    expect(renewed.events.map((e) => e.type)).toEqual(['subscription.renewed']);
    const after = { ...active, ...renewed.patch } as SubscriptionSnapshot;
    expect(applyProviderChange(after, { kind: 'paid', periodStart: t(100), periodEnd: t(200) })).toEqual({
      patch: {},
      events: [],
      ignored: 'stale',
    });
    expect(applyProviderChange(after, { kind: 'paid', periodStart: t(0), periodEnd: t(100) }).ignored).toBe('stale');
  });

  it('replaces a guessed period with the first one the provider states, even a shorter one', () => {
    const guessed = { ...active, periodConfirmed: false, currentPeriodEnd: t(3000) };
    expect(applyProviderChange(guessed, { kind: 'paid', periodStart: t(0), periodEnd: t(100) }).patch).toMatchObject({
      currentPeriodEnd: t(100),
      periodConfirmed: true,
    });
  });

  it('never resurrects an ended subscription', () => {
    const ended = { ...active, status: 'CANCELED' as const };
    expect(applyProviderChange(ended, { kind: 'paid', periodStart: t(100), periodEnd: t(200) }).ignored).toBe('paid_after_end');
    expect(
      applyProviderChange(ended, {
        kind: 'updated',
        providerStatus: 'active',
        periodStart: t(100),
        periodEnd: t(200),
        cancelAtPeriodEnd: false,
        at: t(50),
      }).ignored,
    ).toBe('ended');
    expect(applyProviderChange(ended, { kind: 'deleted', at: t(60) }).patch).toEqual({
      cancellationInProgress: false,
      providerEnded: true,
    });
  });

  it('a failed renewal makes it past due once; a stale failure is ignored; payment recovers it', () => {
    const failed = applyProviderChange(active, { kind: 'payment_failed', periodEnd: t(200), at: t(101) });
    expect(failed.patch).toEqual({ status: 'PAST_DUE', paymentFailedAt: t(101) });
    expect(failed.events.map((e) => e.type)).toEqual(['subscription.payment_failed']);
    const pastDue = { ...active, ...failed.patch } as SubscriptionSnapshot;
    expect(applyProviderChange(pastDue, { kind: 'payment_failed', periodEnd: t(200), at: t(102) }).ignored).toBe('already_past_due');
    expect(applyProviderChange(active, { kind: 'payment_failed', periodEnd: t(100), at: t(50) }).ignored).toBe('stale');
    const recovered = applyProviderChange(pastDue, { kind: 'paid', periodStart: t(100), periodEnd: t(200) });
    expect(recovered.patch).toMatchObject({ status: 'ACTIVE', paymentFailedAt: null, currentPeriodEnd: t(200) });
  });

  it('ignores a provider update older than one applied, and keeps an unsent cancellation of ours', () => {
    const seen = { ...active, providerEventAt: t(50) };
    expect(
      applyProviderChange(seen, {
        kind: 'updated',
        providerStatus: 'active',
        periodStart: t(0),
        periodEnd: t(100),
        cancelAtPeriodEnd: true,
        at: t(40),
      }).ignored,
    ).toBe('stale');
    expect(
      applyProviderChange(
        { ...active, cancelPending: true, cancelAtPeriodEnd: true },
        { kind: 'updated', providerStatus: 'active', periodStart: t(0), periodEnd: t(100), cancelAtPeriodEnd: false, at: t(60) },
      ).ignored,
    ).toBe('stale');
  });

  it('follows the provider cancel flag unless an immediate cancellation is under way', () => {
    const scheduled = applyProviderChange(active, {
      kind: 'updated',
      providerStatus: 'active',
      periodStart: t(0),
      periodEnd: t(100),
      cancelAtPeriodEnd: true,
      at: t(5),
    });
    expect(scheduled.patch).toEqual({ cancelAtPeriodEnd: true, providerEventAt: t(5) });
    const inProgress = { ...active, cancellationInProgress: true };
    expect(
      applyProviderChange(inProgress, {
        kind: 'updated',
        providerStatus: 'active',
        periodStart: t(0),
        periodEnd: t(100),
        cancelAtPeriodEnd: true,
        at: t(5),
      }).ignored,
    ).toBe('stale');
  });

  it('a deletion cancels; the reason says who asked', () => {
    expect(applyProviderChange(active, { kind: 'deleted', at: t(10) }).events.map((e) => e.type)).toEqual(['subscription.cancelled']);
    expect(applyProviderChange(active, { kind: 'deleted', at: t(10) }).patch).toMatchObject({
      status: 'CANCELED',
      endReason: 'canceled_by_provider',
      endedAt: t(10),
    });
    expect(applyProviderChange({ ...active, cancellationInProgress: true }, { kind: 'deleted', at: t(10) }).patch).toMatchObject({
      status: 'CANCELED',
      endReason: 'canceled',
      cancellationInProgress: false,
    });
  });
});

describe('settleAtDeadline', () => {
  const timing = { graceMs: 10_000, renewalLeewayMs: 5_000 };
  it('expires a failed renewal after the grace window, an unreported one after the leeway too, and cancels at period end without grace', () => {
    const pastDue = { ...active, status: 'PAST_DUE' as const, paymentFailedAt: t(101) };
    expect(settleAtDeadline(pastDue, timing, t(105))).toBeNull();
    expect(settleAtDeadline(pastDue, timing, t(110))?.patch).toMatchObject({ status: 'EXPIRED', endReason: 'unpaid' });
    expect(settleAtDeadline(active, timing, t(110))).toBeNull();
    expect(settleAtDeadline(active, timing, t(115))?.patch).toMatchObject({ status: 'EXPIRED', endReason: 'unpaid' });
    expect(settleAtDeadline({ ...active, cancelAtPeriodEnd: true }, timing, t(100))?.patch).toMatchObject({
      status: 'CANCELED',
      endReason: 'canceled_at_period_end',
    });
  });
});

describe('nextStep', () => {
  const progress: SubscriptionProgress = {
    ...active,
    cancelRequested: false,
    cancelRequestSentAt: null,
    paymentFailureNotifiedAt: null,
    entitlementsRevoked: false,
    providerEnded: false,
    renewalCheckedAt: null,
    pausedAt: null,
  };
  const timing = { graceMs: 10_000, confirmWindowMs: 60_000, renewalCheckMs: 2_000, renewalLeewayMs: 5_000 };

  it('paused: no deadline runs (it only looks again a day later), however far past the period end', () => {
    expect(nextStep({ ...progress, pausedAt: t(40) }, timing, t(500))).toEqual({
      kind: 'wait',
      until: new Date(t(500).getTime() + PAUSED_RECHECK_MS),
      then: 'verify_renewal',
    });
  });

  it('past the deadline with no failure reported, asks the provider every check until the leeway is spent, then settles', () => {
    expect(nextStep(progress, timing, t(50))).toEqual({ kind: 'wait', until: t(110), then: 'verify_renewal' });
    expect(nextStep(progress, timing, t(110))).toEqual({ kind: 'verify_renewal' });
    expect(nextStep({ ...progress, renewalCheckedAt: t(110) }, timing, t(111))).toEqual({
      kind: 'wait',
      until: t(112),
      then: 'verify_renewal',
    });
    expect(nextStep({ ...progress, renewalCheckedAt: t(114) }, timing, t(114))).toEqual({
      kind: 'wait',
      until: t(115),
      then: 'verify_renewal',
    });
    expect(nextStep({ ...progress, renewalCheckedAt: t(114) }, timing, t(115))).toEqual({ kind: 'settle' });
  });

  it('a failed renewal settles at the deadline without asking', () => {
    const pastDue = { ...progress, status: 'PAST_DUE' as const, paymentFailedAt: t(101), paymentFailureNotifiedAt: t(101) };
    expect(nextStep(pastDue, timing, t(50))).toEqual({ kind: 'wait', until: t(110), then: 'settle' });
    expect(nextStep(pastDue, timing, t(110))).toEqual({ kind: 'settle' });
  });

  it('still sends a cancellation (and its refund) that the provider overtook by ending the subscription', () => {
    expect(nextStep({ ...progress, status: 'CANCELED', cancelRequested: true }, timing, t(50))).toEqual({ kind: 'send_cancellation' });
  });

  it('sends a cancellation first, then revokes now and waits for the provider', () => {
    expect(nextStep({ ...progress, cancelRequested: true }, timing, t(10))).toEqual({ kind: 'send_cancellation' });
    const sent = { ...progress, cancelRequested: true, cancelRequestSentAt: t(10), cancellationInProgress: true };
    expect(nextStep(sent, timing, t(11))).toEqual({ kind: 'revoke' });
    expect(nextStep({ ...sent, entitlementsRevoked: true }, timing, t(11))).toEqual({
      kind: 'wait',
      until: t(70),
      then: 'confirm_cancellation',
    });
    expect(nextStep({ ...sent, entitlementsRevoked: true }, timing, t(70))).toEqual({ kind: 'confirm_cancellation' });
  });

  it('notifies a payment failure once per failure', () => {
    const pastDue = { ...progress, status: 'PAST_DUE' as const, paymentFailedAt: t(101) };
    expect(nextStep(pastDue, timing, t(101)).kind).toBe('notify_payment_failed');
    expect(nextStep({ ...pastDue, paymentFailureNotifiedAt: t(102) }, timing, t(102)).kind).toBe('wait');
  });

  it('once ended: revoke, then stop the provider billing, then finish', () => {
    const ended = { ...progress, status: 'EXPIRED' as const };
    expect(nextStep(ended, timing, t(200)).kind).toBe('revoke');
    expect(nextStep({ ...ended, entitlementsRevoked: true }, timing, t(200)).kind).toBe('end_at_provider');
    expect(nextStep({ ...ended, entitlementsRevoked: true, providerEnded: true }, timing, t(200)).kind).toBe('finished');
  });
});

describe('provider updates', () => {
  it('do not extend a period on their own: a renewal that later fails still counts as unpaid', () => {
    const advanced = applyProviderChange(active, {
      kind: 'updated',
      providerStatus: 'active',
      periodStart: t(100),
      periodEnd: t(200),
      cancelAtPeriodEnd: false,
      at: t(100),
    });
    expect(advanced.patch).toEqual({ providerEventAt: t(100) });
    const failed = applyProviderChange(active, {
      kind: 'updated',
      providerStatus: 'past_due',
      periodStart: t(100),
      periodEnd: t(200),
      cancelAtPeriodEnd: false,
      at: t(101),
    });
    expect(failed.patch).toMatchObject({ status: 'PAST_DUE' });
  });
});
