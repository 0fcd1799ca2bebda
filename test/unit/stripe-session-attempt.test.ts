import { checkoutSessionAttempt, SESSION_RENEW_MARGIN_MS } from '../../src/orders/stripe-checkout-record';

const now = new Date('2026-12-07T08:00:00Z');
const later = (ms: number) => new Date(now.getTime() + ms).toISOString();

describe("which Checkout Session an invoice's checkout asks Stripe for", () => {
  it('the first, for an invoice without one', () => {
    expect(checkoutSessionAttempt({ type: 'STRIPE', data: {} }, now)).toBe(0);
    expect(checkoutSessionAttempt(null, now)).toBe(0);
  });

  it('the latest while a buyer can still pay in it', () => {
    expect(checkoutSessionAttempt({ checkout_sessions: ['cs_1'], session_expires_at: later(60 * 60_000) }, now)).toBe(0);
    expect(checkoutSessionAttempt({ checkout_sessions: ['cs_1', 'cs_2'], session_expires_at: later(60 * 60_000) }, now)).toBe(1);
  });

  it('a new one once the latest expired, or is about to', () => {
    expect(checkoutSessionAttempt({ checkout_sessions: ['cs_1'], session_expires_at: later(-1) }, now)).toBe(1);
    expect(checkoutSessionAttempt({ checkout_sessions: ['cs_1'], session_expires_at: later(SESSION_RENEW_MARGIN_MS) }, now)).toBe(1);
    expect(checkoutSessionAttempt({ checkout_sessions: ['cs_1', 'cs_2'], session_expires_at: later(-1) }, now)).toBe(2);
  });

  it('the latest when its end was never recorded (sessions from before it was)', () => {
    expect(checkoutSessionAttempt({ checkout_sessions: ['cs_1'] }, now)).toBe(0);
  });
});
