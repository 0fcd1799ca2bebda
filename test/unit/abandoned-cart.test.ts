import { ABANDONED_CART_OFF, type AbandonedCartSettings, remindsCheckout } from '../../src/domain/abandoned-cart';

const on = (range: Partial<AbandonedCartSettings> = {}): AbandonedCartSettings => ({
  ...ABANDONED_CART_OFF,
  enabled: true,
  reminders: [{ after_hours: 1 }],
  ...range,
});
const checkout = (totalCents: number, currency = 'USD') => ({ totalCents, currency, customerEmail: 'buyer@example.com' });

describe("the reminders' order amount range", () => {
  it("is in the store's currency, bounds included", () => {
    const ranged = on({ min_total_cents: 1_000, max_total_cents: 5_000 });
    expect(remindsCheckout(ranged, checkout(999), 'USD')).toBe(false);
    expect(remindsCheckout(ranged, checkout(1_000), 'USD')).toBe(true);
    expect(remindsCheckout(ranged, checkout(5_000), 'USD')).toBe(true);
    expect(remindsCheckout(ranged, checkout(5_001), 'USD')).toBe(false);
    // The same currency, whatever its case.
    expect(remindsCheckout(ranged, checkout(2_000, 'usd'), 'USD')).toBe(true);
  });

  it('skips a checkout in another currency, which it cannot place in the range (no conversion)', () => {
    // 20.00 EUR is neither "20.00 USD" nor compared as a bare 2000.
    expect(remindsCheckout(on({ min_total_cents: 1_000 }), checkout(2_000, 'EUR'), 'USD')).toBe(false);
    expect(remindsCheckout(on({ max_total_cents: 5_000 }), checkout(2_000, 'JPY'), 'USD')).toBe(false);
  });

  it('without a range, reminds a checkout in any currency', () => {
    expect(remindsCheckout(on(), checkout(2_000, 'EUR'), 'USD')).toBe(true);
  });

  it('never reminds when the store has them off, or the buyer left no address', () => {
    expect(remindsCheckout(ABANDONED_CART_OFF, checkout(2_000), 'USD')).toBe(false);
    expect(remindsCheckout(null, checkout(2_000), 'USD')).toBe(false);
    expect(remindsCheckout(on(), { ...checkout(2_000), customerEmail: null }, 'USD')).toBe(false);
  });
});
