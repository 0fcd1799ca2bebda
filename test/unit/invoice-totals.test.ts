import { canTransition } from '../../src/domain/invoice-status';
import { bulkDiscountPercentage, invoiceTotals, percentOf, quantityProblem } from '../../src/domain/invoice-totals';

describe('invoice totals', () => {
  it('rounds percentages half up, in integers', () => {
    expect(percentOf(2997, 15)).toBe(450);
    expect(percentOf(1, 50)).toBe(1);
    expect(percentOf(3, 33.33)).toBe(1);
    expect(percentOf(999, 2.5)).toBe(25);
  });

  it('takes the best bulk tier the quantity reaches', () => {
    const tiers = [
      { minimum_purchase_amount: 2, discount_percentage: 5 },
      { minimum_purchase_amount: 5, discount_percentage: 10 },
    ];
    expect([1, 2, 4, 5, 50].map((q) => bulkDiscountPercentage(q, tiers))).toEqual([0, 5, 5, 10, 10]);
  });

  it('sums lines, applies a method discount or fee, adds the extra', () => {
    const lines = [
      { unitPriceCents: 1000, quantity: 2, bulkDiscount: [] },
      { unitPriceCents: 333, quantity: 3, bulkDiscount: [{ minimum_purchase_amount: 3, discount_percentage: 10 }] },
    ];
    const plain = invoiceTotals({ lines });
    expect(plain).toMatchObject({ subtotalCents: 2000 + 899, totalCents: 2899, units: 5 });
    expect(plain.lines[1]).toEqual({ grossCents: 999, bulkDiscountCents: 100, netCents: 899, discountPercentage: 10 });
    expect(invoiceTotals({ lines, method: { percent: 10, fixedCents: 0 } }).totalCents).toBe(2899 - 290);
    expect(invoiceTotals({ lines, method: { percent: -2.5, fixedCents: -30 } }).totalCents).toBe(2899 + 72 + 30);
    expect(invoiceTotals({ lines, extraCents: 101 }).totalCents).toBe(3000);
    expect(
      invoiceTotals({ lines: [{ unitPriceCents: 100, quantity: 1, bulkDiscount: [] }], method: { percent: 0, fixedCents: 500 } })
        .totalCents,
    ).toBe(0);
  });

  it('allows quantities from the minimum in steps, up to the maximum', () => {
    const rules = { minimum: 1, maximum: 7, increments: 2 };
    expect([1, 2, 3, 5, 7, 9, 0].map((q) => quantityProblem(q, rules))).toEqual([
      null,
      'not_an_increment',
      null,
      null,
      null,
      'above_maximum',
      'below_minimum',
    ]);
  });
});

describe('invoice status transitions', () => {
  it('follow the one table', () => {
    expect(canTransition('PENDING', 'PAID')).toBe(true);
    expect(canTransition('PAID', 'COMPLETED')).toBe(true);
    expect(canTransition('VOIDED', 'PAID')).toBe(false);
    expect(canTransition('COMPLETED', 'VOIDED')).toBe(false);
    expect(canTransition('COMPLETED', 'PAID')).toBe(false);
  });

  it('give a disputed invoice back PAID only for a won dispute, never for a payment', () => {
    expect(canTransition('DISPUTING', 'PAID')).toBe(false);
    expect(canTransition('DISPUTING', 'PAID', { disputeWon: true })).toBe(true);
    expect(canTransition('DISPUTING', 'COMPLETED')).toBe(true);
  });
});
