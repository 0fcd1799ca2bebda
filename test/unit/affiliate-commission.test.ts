import { parse } from 'csv-parse/sync';
import { payoutsCsv, type ExportedPayout } from '../../src/affiliates/payout-export';
import { affiliateStatusAfter } from '../../src/domain/affiliate-status';
import { attributeOrder } from '../../src/domain/attribution';
import { type CommissionRules, commissionFor, eligibleAt, paidPerLine, rateFor, toHundredths } from '../../src/domain/commission';
import { cycleDateOf, cycleStart, isCycleDay, planPayouts } from '../../src/domain/payout-cycle';
import { canMoveReferral } from '../../src/domain/referral-status';

const rules = (over: Partial<CommissionRules> = {}): CommissionRules => ({
  storeDefault: { type: 'PERCENTAGE', value: 1000 },
  productRates: new Map(),
  customProductsOnly: false,
  affiliateRate: null,
  affiliateProducts: [],
  ...over,
});

describe('commission', () => {
  it('takes the affiliate rate over the product rate over the store default', () => {
    const productRates = new Map([[7, { type: 'PERCENTAGE' as const, value: 2500 }]]);
    expect(rateFor(rules(), 7)).toEqual({ source: 'STORE', rate: { type: 'PERCENTAGE', value: 1000 } });
    expect(rateFor(rules({ productRates }), 7).source).toBe('PRODUCT');
    expect(rateFor(rules({ productRates }), 8).source).toBe('STORE');
    expect(rateFor(rules({ productRates, affiliateRate: { type: 'AMOUNT', value: 300 } }), 7)).toEqual({
      source: 'AFFILIATE',
      rate: { type: 'AMOUNT', value: 300 },
    });
  });

  it('rounds a percentage down once, on the total, in integer cents', () => {
    // 12.5 % of 999 + 12.5 % of 999 = 249.75 → 249 (per-line rounding would give 248).
    expect(
      commissionFor(rules({ storeDefault: { type: 'PERCENTAGE', value: 1250 } }), [
        { productId: 1, paidCents: 999 },
        { productId: 2, paidCents: 999 },
      ]).commissionCents,
    ).toBe(249);
    expect(commissionFor(rules(), [{ productId: 1, paidCents: 1 }]).commissionCents).toBe(0);
    expect(
      commissionFor(rules({ storeDefault: { type: 'PERCENTAGE', value: 10_000 } }), [{ productId: 1, paidCents: 1234 }]).commissionCents,
    ).toBe(1234);
  });

  it('pays a store or affiliate amount once per referral, a product amount once per line, never more than was paid', () => {
    const amount = rules({ storeDefault: { type: 'AMOUNT', value: 500 } });
    expect(
      commissionFor(amount, [
        { productId: 1, paidCents: 2000 },
        { productId: 2, paidCents: 2000 },
      ]).commissionCents,
    ).toBe(500);
    expect(commissionFor(amount, [{ productId: 1, paidCents: 300 }]).commissionCents).toBe(300);
    const perProduct = rules({ productRates: new Map([[1, { type: 'AMOUNT' as const, value: 200 }]]) });
    // Product 1 pays 2.00 on its line, product 2 the store's 10 % of 1000.
    expect(
      commissionFor(perProduct, [
        { productId: 1, paidCents: 5000 },
        { productId: 2, paidCents: 1000 },
      ]).commissionCents,
    ).toBe(300);
  });

  it('earns only on promotable products: custom products, then the affiliate list', () => {
    const custom = rules({ customProductsOnly: true, productRates: new Map([[1, { type: 'PERCENTAGE' as const, value: 2000 }]]) });
    const result = commissionFor(custom, [
      { productId: 1, paidCents: 1000 },
      { productId: 2, paidCents: 5000 },
    ]);
    expect(result).toMatchObject({ commissionCents: 200, eligiblePaidCents: 1000 });
    expect(result.lines.map((l) => l.eligible)).toEqual([true, false]);
    expect(
      commissionFor(rules({ affiliateProducts: [2] }), [
        { productId: 1, paidCents: 1000 },
        { productId: 2, paidCents: 500 },
      ]).commissionCents,
    ).toBe(50);
    expect(commissionFor(rules({ affiliateProducts: [3] }), [{ productId: 1, paidCents: 1000 }]).eligiblePaidCents).toBe(0);
  });

  it('spreads an invoice discount over the lines it covered, exactly', () => {
    expect(
      paidPerLine(
        [
          { productId: 1, totalCents: 1000 },
          { productId: 2, totalCents: 2000 },
        ],
        100,
        null,
      ),
    ).toEqual([
      { productId: 1, paidCents: 967 },
      { productId: 2, paidCents: 1933 },
    ]);
    expect(
      paidPerLine(
        [
          { productId: 1, totalCents: 1000 },
          { productId: 2, totalCents: 2000 },
        ],
        500,
        [2],
      ),
    ).toEqual([
      { productId: 1, paidCents: 1000 },
      { productId: 2, paidCents: 1500 },
    ]);
    const parts = paidPerLine(
      [
        { productId: 1, totalCents: 333 },
        { productId: 2, totalCents: 333 },
        { productId: 3, totalCents: 334 },
      ],
      100,
      null,
    );
    expect(1000 - parts.reduce((s, p) => s + p.paidCents, 0)).toBe(100);
  });

  it('makes fiat payable after 30 days and crypto at once', () => {
    const at = new Date('2026-01-31T10:00:00Z');
    expect(eligibleAt(at, false).toISOString()).toBe('2026-03-02T10:00:00.000Z');
    expect(eligibleAt(at, true)).toEqual(at);
  });

  it('reads percent and money with at most two decimals', () => {
    expect(toHundredths(12.5)).toBe(1250);
    expect(toHundredths(0.1)).toBe(10);
    expect(toHundredths(19.99)).toBe(1999);
    expect(toHundredths(1.005)).toBeNull();
  });
});

describe('attribution', () => {
  const now = new Date('2026-06-10T12:00:00Z');
  const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);
  const touches = [
    { affiliateId: 1, at: daysAgo(9) },
    { affiliateId: 2, at: daysAgo(2) },
    { affiliateId: 3, at: daysAgo(40) },
  ];

  it('credits the first or the last referrer inside the window', () => {
    expect(attributeOrder({ touches, now, trackingDays: 30, order: 'FIRST', couponAffiliateId: null })).toEqual({
      affiliateId: 1,
      source: 'LINK',
    });
    expect(attributeOrder({ touches, now, trackingDays: 30, order: 'LAST', couponAffiliateId: null })).toEqual({
      affiliateId: 2,
      source: 'LINK',
    });
    // The 40-day-old click only counts with a longer window.
    expect(attributeOrder({ touches, now, trackingDays: 60, order: 'FIRST', couponAffiliateId: null })?.affiliateId).toBe(3);
  });

  it('drops clicks older than the tracking window', () => {
    expect(attributeOrder({ touches, now, trackingDays: 1, order: 'LAST', couponAffiliateId: null })).toBeNull();
    expect(attributeOrder({ touches: [], now, trackingDays: 30, order: 'LAST', couponAffiliateId: null })).toBeNull();
  });

  it("lets the affiliate's coupon win over any link", () => {
    expect(attributeOrder({ touches, now, trackingDays: 30, order: 'LAST', couponAffiliateId: 9 })).toEqual({
      affiliateId: 9,
      source: 'COUPON',
    });
  });
});

describe('statuses', () => {
  it('never lets a rejected referral become accepted', () => {
    expect(canMoveReferral('REJECTED', 'ACCEPTED')).toBe(false);
    expect(canMoveReferral('REJECTED', 'IN_REVIEW')).toBe(false);
    expect(canMoveReferral('PENDING', 'IN_REVIEW')).toBe(true);
    expect(canMoveReferral('IN_REVIEW', 'ACCEPTED')).toBe(true);
    expect(canMoveReferral('ACCEPTED', 'IN_REVIEW')).toBe(true);
  });

  it('walks affiliates through review, disable and enable', () => {
    expect(affiliateStatusAfter('PENDING', 'approve')).toBe('ACTIVE');
    expect(affiliateStatusAfter('PENDING', 'reject')).toBe('REJECTED');
    expect(affiliateStatusAfter('REJECTED', 'approve')).toBeNull();
    expect(affiliateStatusAfter('REJECTED', 'enable')).toBe('ACTIVE');
    expect(affiliateStatusAfter('ACTIVE', 'disable')).toBe('DISABLED');
    expect(affiliateStatusAfter('INVITED', 'approve')).toBeNull();
  });
});

describe('payout cycle', () => {
  it('knows cycle dates in the store time zone', () => {
    // 23:30 UTC on the 14th is already the 15th in Tokyo.
    expect(cycleDateOf(new Date('2026-03-14T23:30:00Z'), 'Asia/Tokyo')).toBe('2026-03-15');
    expect(cycleDateOf(new Date('2026-03-14T23:30:00Z'), 'UTC')).toBe('2026-03-14');
    expect(cycleStart('2026-03-15', 'Asia/Tokyo').toISOString()).toBe('2026-03-14T15:00:00.000Z');
    expect(cycleStart('2026-07-01', 'America/New_York').toISOString()).toBe('2026-07-01T04:00:00.000Z');
    expect(isCycleDay('2026-03-15')).toBe(true);
    expect(isCycleDay('2026-03-01')).toBe(true);
    expect(isCycleDay('2026-03-02')).toBe(false);
  });

  it('pays each affiliate whose balance reaches the minimum, per mode and currency', () => {
    const planned = planPayouts(
      [
        { id: 1, affiliateId: 1, livemode: true, currency: 'USD', commissionCents: 600 },
        { id: 2, affiliateId: 1, livemode: true, currency: 'USD', commissionCents: 500 },
        { id: 3, affiliateId: 2, livemode: true, currency: 'USD', commissionCents: 999 },
        { id: 4, affiliateId: 3, livemode: true, currency: 'USD', commissionCents: 1000 },
        { id: 5, affiliateId: 3, livemode: false, currency: 'USD', commissionCents: 5000 },
      ],
      1000,
    );
    expect(planned).toEqual([
      { affiliateId: 1, livemode: true, currency: 'USD', amountCents: 1100, referralIds: [1, 2] },
      { affiliateId: 3, livemode: true, currency: 'USD', amountCents: 1000, referralIds: [4] },
      { affiliateId: 3, livemode: false, currency: 'USD', amountCents: 5000, referralIds: [5] },
    ]);
    expect(planPayouts([{ id: 1, affiliateId: 1, livemode: true, currency: 'USD', commissionCents: 0 }], 0)).toEqual([]);
  });
});

describe('payout CSV', () => {
  const payout = (over: Partial<ExportedPayout>): ExportedPayout => ({
    id: 1,
    affiliateCode: 'alice',
    affiliateEmail: 'alice@example.com',
    payoutMethod: 'PAYPAL',
    payoutDetails: 'alice-paypal@example.com',
    amountCents: 1234,
    currency: 'USD',
    status: 'DUE',
    referrals: 2,
    cycleDate: '2026-03-15',
    createdAt: new Date('2026-03-15T00:00:01Z'),
    paidAt: null,
    ...over,
  });

  it('writes the PayPal Payouts upload file: no header, recipient, amount, currency, id, note, wallet', () => {
    const csv = payoutsCsv([payout({}), payout({ id: 2, payoutDetails: 'bob.builder@example.com', amountCents: 5 })], 'paypal');
    expect(parse(csv)).toEqual([
      ['alice-paypal@example.com', '12.34', 'USD', 'payout-1', 'Affiliate commission, cycle 2026-03-15', 'PAYPAL'],
      ['bob.builder@example.com', '0.05', 'USD', 'payout-2', 'Affiliate commission, cycle 2026-03-15', 'PAYPAL'],
    ]);
    expect(csv.split('\n')[1]).toBe('bob.builder@example.com,0.05,USD,payout-2,"Affiliate commission, cycle 2026-03-15",PAYPAL');
  });

  it('refuses a PayPal file with other methods or two currencies', () => {
    expect(() => payoutsCsv([payout({ payoutMethod: 'BTC' })], 'paypal')).toThrow(/not PayPal/);
    expect(() => payoutsCsv([payout({}), payout({ id: 2, currency: 'EUR' })], 'paypal')).toThrow(/one currency/);
    expect(() => payoutsCsv([payout({ payoutDetails: 'not an e-mail' })], 'paypal')).toThrow(/not an e-mail/);
  });

  it('quotes what affiliates typed and never lets it run as a spreadsheet formula', () => {
    const rows = parse(
      payoutsCsv(
        [
          payout({ payoutDetails: '=HYPERLINK("http://evil")', affiliateCode: '+cmd' }),
          payout({ id: 2, payoutDetails: 'IBAN DE89, "Bob"' }),
        ],
        'generic',
      ),
      { columns: true },
    ) as Record<string, string>[];
    expect(rows.map((r) => [r.affiliate_code, r.payout_details])).toEqual([
      ["'+cmd", `'=HYPERLINK("http://evil")`],
      ['alice', 'IBAN DE89, "Bob"'],
    ]);
  });

  it('writes a generic file with a header', () => {
    const rows = parse(payoutsCsv([payout({ status: 'PAID', paidAt: new Date('2026-03-16T00:00:00Z') })], 'generic'), { columns: true });
    expect(rows).toEqual([
      {
        payout_id: '1',
        affiliate_code: 'alice',
        affiliate_email: 'alice@example.com',
        payout_method: 'PAYPAL',
        payout_details: 'alice-paypal@example.com',
        amount: '12.34',
        currency: 'USD',
        status: 'PAID',
        referrals: '2',
        cycle_date: '2026-03-15',
        created_at: '2026-03-15T00:00:01.000Z',
        paid_at: '2026-03-16T00:00:00.000Z',
      },
    ]);
  });
});
