import { type SubscriptionState, subscriptionCapabilities } from '../../src/domain/subscription-capabilities';

const active: SubscriptionState = {
  status: 'ACTIVE',
  provider: 'stripe',
  cancelAtPeriodEnd: false,
  cancellationInProgress: false,
  endedAt: null,
  pausedAt: null,
};
const PROVIDER_ONLY = ['update_payment_method', 'change_plan', 'shift_billing_date'];

describe('subscription capabilities by provider', () => {
  it('PayPal pauses and resumes by the same rules as Stripe', () => {
    const states: Partial<SubscriptionState>[] = [
      {},
      { pausedAt: new Date() },
      { status: 'PAST_DUE' },
      { cancelAtPeriodEnd: true },
      { cancellationInProgress: true },
      { status: 'CANCELED', endedAt: new Date() },
    ];
    for (const state of states) {
      const stripe = subscriptionCapabilities({ ...active, ...state, provider: 'stripe' });
      const paypal = subscriptionCapabilities({ ...active, ...state, provider: 'paypal' });
      expect([paypal.pause, paypal.resume]).toEqual([stripe.pause, stripe.resume]);
    }
    expect(subscriptionCapabilities({ ...active, provider: 'paypal' }).pause).toEqual({ allowed: true, reason: null });
    expect(subscriptionCapabilities({ ...active, provider: 'paypal', pausedAt: new Date() }).resume).toEqual({
      allowed: true,
      reason: null,
    });
  });

  it('PayPal changes no card, plan or renewal date; a provider without billing pauses nothing', () => {
    const paypal = subscriptionCapabilities({ ...active, provider: 'paypal' });
    for (const action of PROVIDER_ONLY) expect(paypal[action]).toEqual({ allowed: false, reason: 'provider_not_supported' });
    const manual = subscriptionCapabilities({ ...active, provider: 'MANUAL' });
    for (const action of ['pause', ...PROVIDER_ONLY]) expect(manual[action]).toEqual({ allowed: false, reason: 'provider_not_supported' });
    expect(subscriptionCapabilities({ ...active, provider: 'MANUAL', pausedAt: new Date() }).resume).toEqual({
      allowed: false,
      reason: 'provider_not_supported',
    });
    // Cancels are every provider's.
    expect([manual.cancel_period_end, manual.cancel_immediately]).toEqual([
      { allowed: true, reason: null },
      { allowed: true, reason: null },
    ]);
  });
});
