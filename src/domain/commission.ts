/**
 * Affiliate commissions, without I/O: which lines of a paid order an affiliate earns on,
 * at which rate, in integer cents, and when the commission may be paid out.
 */
export const COMMISSION_TYPES = ['PERCENTAGE', 'AMOUNT'] as const;
export type CommissionType = (typeof COMMISSION_TYPES)[number];

export interface CommissionRate {
  type: CommissionType;
  /** PERCENTAGE: basis points (12.5 % = 1250); AMOUNT: cents. */
  value: number;
}

export type RateSource = 'AFFILIATE' | 'PRODUCT' | 'STORE';

export interface CommissionRules {
  storeDefault: CommissionRate;
  /** The program's custom products: per-product rates. */
  productRates: ReadonlyMap<number, CommissionRate>;
  /** Custom products on: only the products listed in productRates may be promoted. */
  customProductsOnly: boolean;
  /** This affiliate's custom rate, which beats every other. */
  affiliateRate: CommissionRate | null;
  /** This affiliate's eligible products; empty means whatever the program allows. */
  affiliateProducts: readonly number[];
}

export interface CommissionLine {
  productId: number;
  /** What the customer paid for the line, after discounts. */
  paidCents: number;
}

export interface LineCommission extends CommissionLine {
  eligible: boolean;
  source: RateSource | null;
  rate: CommissionRate | null;
}

export interface Commission {
  commissionCents: number;
  /** The paid amount of the lines the affiliate earns on. */
  eligiblePaidCents: number;
  lines: LineCommission[];
}

export function isPromotable(rules: CommissionRules, productId: number): boolean {
  if (rules.customProductsOnly && !rules.productRates.has(productId)) return false;
  return rules.affiliateProducts.length === 0 || rules.affiliateProducts.includes(productId);
}

/** Precedence: the affiliate's custom rate, then the product's, then the store's default. */
export function rateFor(rules: CommissionRules, productId: number): { source: RateSource; rate: CommissionRate } {
  if (rules.affiliateRate) return { source: 'AFFILIATE', rate: rules.affiliateRate };
  const product = rules.productRates.get(productId);
  if (product) return { source: 'PRODUCT', rate: product };
  return { source: 'STORE', rate: rules.storeDefault };
}

/**
 * The commission on a paid order. Percentages apply to the discounted amount of each eligible
 * line and are rounded down once, on the total. A fixed amount from the store default or the
 * affiliate's rate is "per referral": paid once per order. A product's fixed amount is paid once
 * per line of that product. No commission ever exceeds what the customer paid for those lines.
 */
export function commissionFor(rules: CommissionRules, lines: readonly CommissionLine[]): Commission {
  let basisPointCents = 0;
  let fixedCents = 0;
  // The per-referral amount (store default or the affiliate's rate) and the lines it covers.
  let referralFixedCents: number | null = null;
  let referralFixedPaidCents = 0;
  const detailed: LineCommission[] = [];
  for (const line of lines) {
    if (!isPromotable(rules, line.productId) || line.paidCents <= 0) {
      detailed.push({ ...line, eligible: false, source: null, rate: null });
      continue;
    }
    const { source, rate } = rateFor(rules, line.productId);
    detailed.push({ ...line, eligible: true, source, rate });
    if (rate.type === 'PERCENTAGE') basisPointCents += line.paidCents * rate.value;
    else if (source === 'PRODUCT') fixedCents += Math.min(rate.value, line.paidCents);
    else {
      referralFixedCents = rate.value;
      referralFixedPaidCents += line.paidCents;
    }
  }
  if (referralFixedCents !== null) fixedCents += Math.min(referralFixedCents, referralFixedPaidCents);
  const eligiblePaidCents = detailed.filter((l) => l.eligible).reduce((sum, l) => sum + l.paidCents, 0);
  const commissionCents = Math.min(Math.floor(basisPointCents / 10_000) + fixedCents, eligiblePaidCents);
  return { commissionCents, eligiblePaidCents, lines: detailed };
}

/**
 * Spreads an invoice-level discount over the lines it covered, in proportion to their price,
 * so each line's paid amount is exact and the parts add up to the discount (largest remainder).
 */
export function paidPerLine(
  lines: readonly { productId: number; totalCents: number }[],
  discountCents: number,
  coveredProductIds: readonly number[] | null,
): CommissionLine[] {
  const covered = lines.map((l) => coveredProductIds === null || coveredProductIds.includes(l.productId));
  const base = lines.reduce((sum, l, i) => sum + (covered[i] ? l.totalCents : 0), 0);
  const discount = Math.min(Math.max(discountCents, 0), base);
  if (discount === 0 || base === 0) return lines.map((l) => ({ productId: l.productId, paidCents: l.totalCents }));
  const shares = lines.map((l, i) => (covered[i] ? (l.totalCents * discount) / base : 0));
  const floors = shares.map(Math.floor);
  let left = discount - floors.reduce((a, b) => a + b, 0);
  const byRemainder = shares.map((s, i) => ({ i, r: s - floors[i]! })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left === 0) break;
    floors[i]! += 1;
    left -= 1;
  }
  return lines.map((l, i) => ({ productId: l.productId, paidCents: l.totalCents - floors[i]! }));
}

/** Fiat can be charged back for weeks; crypto cannot, so its commission is payable at once. */
export const FIAT_HOLD_DAYS = 30;

export function eligibleAt(purchasedAt: Date, paidWithCrypto: boolean): Date {
  return paidWithCrypto ? purchasedAt : new Date(purchasedAt.getTime() + FIAT_HOLD_DAYS * 86_400_000);
}

/** "12.5" percent → 1250 basis points; "5" dollars → 500 cents. Rejects more than two decimals. */
export function toHundredths(value: number): number | null {
  const scaled = Math.round(value * 100);
  return Math.abs(scaled - value * 100) < 1e-6 ? scaled : null;
}
