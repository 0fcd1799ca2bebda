import { matches, normaliseRule } from '../../src/domain/blacklist';
import { type CouponRule, couponDiscount } from '../../src/domain/coupons';

const now = new Date('2026-06-01T00:00:00Z');
const rule: CouponRule = {
  type: 'PERCENTAGE',
  discount: 1000,
  storeWide: true,
  productIds: [],
  limit: null,
  taken: 0,
  minimumAmountCents: null,
  maximumDiscountCents: null,
  expiresAt: null,
};
const lines = [
  { productId: 1, netCents: 1999 },
  { productId: 2, netCents: 500 },
];

describe('couponDiscount', () => {
  it('takes a percentage of the covered lines, half-up, and a fixed amount at most what they cost', () => {
    expect(couponDiscount(rule, lines, now)).toEqual({ discountCents: 250 });
    expect(couponDiscount({ ...rule, storeWide: false, productIds: [2] }, lines, now)).toEqual({ discountCents: 50 });
    expect(couponDiscount({ ...rule, type: 'AMOUNT', discount: 700, storeWide: false, productIds: [2] }, lines, now)).toEqual({
      discountCents: 500,
    });
    expect(couponDiscount({ ...rule, discount: 1250 }, [{ productId: 1, netCents: 1000 }], now)).toEqual({ discountCents: 125 });
  });
  it('caps a percentage at the maximum discount', () => {
    expect(couponDiscount({ ...rule, discount: 5000, maximumDiscountCents: 300 }, lines, now)).toEqual({ discountCents: 300 });
  });
  it('refuses when expired, used up, not covering any line, or below the minimum', () => {
    expect(couponDiscount({ ...rule, expiresAt: now }, lines, now)).toEqual({ problem: 'coupon_expired' });
    expect(couponDiscount({ ...rule, limit: 2, taken: 2 }, lines, now)).toEqual({ problem: 'coupon_limit_reached' });
    expect(couponDiscount({ ...rule, limit: 2, taken: 1 }, lines, now)).toEqual({ discountCents: 250 });
    expect(couponDiscount({ ...rule, storeWide: false, productIds: [9] }, lines, now)).toEqual({ problem: 'coupon_not_applicable' });
    expect(couponDiscount({ ...rule, minimumAmountCents: 2500 }, lines, now)).toEqual({ problem: 'coupon_minimum_not_met' });
    expect(couponDiscount({ ...rule, minimumAmountCents: 2499 }, lines, now)).toEqual({ discountCents: 250 });
  });
});

describe('blacklist rules', () => {
  const customer = { email: 'Rick@Astley.com', ip: '10.1.2.3', country: 'be', asn: 1234 };
  it('normalise what a seller types and refuse what is not a rule', () => {
    expect(normaliseRule('ASN', 'as01234')).toEqual({ data: 'AS1234' });
    expect(normaliseRule('COUNTRY', 'be')).toEqual({ data: 'BE' });
    expect(normaliseRule('IP', '10.0.0.0/8')).toEqual({ data: '10.0.0.0/8' });
    expect(normaliseRule('IP', '::ffff:1.3.3.7')).toEqual({ data: '1.3.3.7' });
    expect(normaliseRule('IP', 'not-an-ip')).toHaveProperty('problem');
    expect(normaliseRule('EMAIL', 'nope')).toHaveProperty('problem');
    expect(normaliseRule('COUNTRY', 'Belgium')).toHaveProperty('problem');
  });
  it('match e-mail (any case), wildcard, IP and ranges, country and ASN', () => {
    expect(matches({ type: 'EMAIL', data: 'rick@astley.com' }, customer)).toBe(true);
    expect(matches({ type: 'WILDCARD_EMAIL', data: '@astley.com' }, customer)).toBe(true);
    expect(matches({ type: 'WILDCARD_EMAIL', data: '@ley.co' }, customer)).toBe(false);
    expect(matches({ type: 'WILDCARD_EMAIL', data: 'ri*@*.com' }, customer)).toBe(true);
    expect(matches({ type: 'IP', data: '10.0.0.0/8' }, customer)).toBe(true);
    expect(matches({ type: 'IP', data: '10.1.2.4' }, customer)).toBe(false);
    expect(matches({ type: 'IP', data: '2001:db8::/32' }, customer)).toBe(false);
    expect(matches({ type: 'COUNTRY', data: 'BE' }, customer)).toBe(true);
    expect(matches({ type: 'ASN', data: 'AS1234' }, customer)).toBe(true);
    expect(matches({ type: 'ASN', data: 'AS1234' }, { ...customer, asn: null })).toBe(false);
  });
});
