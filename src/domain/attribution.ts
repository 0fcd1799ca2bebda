/**
 * Which affiliate an order is credited to. A referral link visit counts for the program's
 * tracking window; when a customer followed several, the program credits the first or the
 * last. An affiliate's coupon typed at checkout is the strongest evidence and always wins.
 */
export const REFERRER_ORDERS = ['FIRST', 'LAST'] as const;
export type ReferrerOrder = (typeof REFERRER_ORDERS)[number];

export interface ReferralTouch {
  affiliateId: number;
  at: Date;
}

export interface Attribution {
  affiliateId: number;
  source: 'LINK' | 'COUPON';
}

export function attributeOrder(input: {
  touches: readonly ReferralTouch[];
  now: Date;
  trackingDays: number;
  order: ReferrerOrder;
  couponAffiliateId: number | null;
}): Attribution | null {
  if (input.couponAffiliateId !== null) return { affiliateId: input.couponAffiliateId, source: 'COUPON' };
  const since = input.now.getTime() - input.trackingDays * 86_400_000;
  const live = input.touches.filter((t) => t.at.getTime() >= since && t.at.getTime() <= input.now.getTime());
  if (live.length === 0) return null;
  const pick = live.reduce((best, t) => {
    if (input.order === 'FIRST') return t.at.getTime() < best.at.getTime() ? t : best;
    return t.at.getTime() >= best.at.getTime() ? t : best;
  });
  return { affiliateId: pick.affiliateId, source: 'LINK' };
}
