import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';
import type { ReferrerOrder } from '../domain/attribution';
import { type CommissionRate, type CommissionRules, type CommissionType, toHundredths } from '../domain/commission';
import { PAYMENT_METHODS } from '../domain/payment-methods';
import { laravelTime } from '../catalog/views/timestamps';
import { AffiliateRuleError } from './errors';

/** A commission as the API sends it: percent, or major currency units for AMOUNT. */
export interface CommissionInput {
  type: CommissionType;
  value: number;
}

export interface ProgramInput {
  enabled?: boolean;
  auto_approve?: boolean;
  auto_accept_referrals?: boolean;
  commission?: CommissionInput;
  minimum_payout?: number;
  tracking_days?: number;
  referrer_order?: ReferrerOrder;
  payout_methods?: string[];
  custom_products?: boolean;
  products?: { product_id: number; commission: CommissionInput }[];
}

/** What a store that never saved its settings gets: off, 10 %, 30-day window, last referrer. */
const DEFAULTS = {
  enabled: false,
  auto_approve: false,
  auto_accept_referrals: true,
  commission_type: 'PERCENTAGE' as CommissionType,
  commission_value: 1000,
  minimum_payout_cents: 0,
  tracking_days: 30,
  referrer_order: 'LAST' as ReferrerOrder,
  payout_methods: ['PAYPAL'],
  custom_products: false,
};

export type Program = typeof DEFAULTS & { store_id: number; updated_at: Date | null; productRates: Map<number, CommissionRate> };

export async function loadProgram(db: DbExecutor, storeId: number, options: { lock?: boolean } = {}): Promise<Program> {
  let query = db.selectFrom('affiliate_programs').selectAll().where('store_id', '=', storeId);
  if (options.lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  const rates = await db.selectFrom('affiliate_product_rates').selectAll().where('store_id', '=', storeId).orderBy('product_id').execute();
  const productRates = new Map(rates.map((r) => [r.product_id, { type: r.commission_type, value: r.commission_value }]));
  if (!row) return { ...DEFAULTS, store_id: storeId, updated_at: null, productRates };
  return { ...row, payout_methods: row.payout_methods, updated_at: row.updated_at, productRates };
}

/**
 * What attributing an order needs of the program, in one read: every invoice asks, and most
 * stores run no program (its commission rates are read only when a referral is booked).
 */
export async function attributionSettings(
  db: DbExecutor,
  storeId: number,
): Promise<Pick<Program, 'enabled' | 'tracking_days' | 'referrer_order'>> {
  const row = await db
    .selectFrom('affiliate_programs')
    .select(['enabled', 'tracking_days', 'referrer_order'])
    .where('store_id', '=', storeId)
    .executeTakeFirst();
  return row ?? { enabled: DEFAULTS.enabled, tracking_days: DEFAULTS.tracking_days, referrer_order: DEFAULTS.referrer_order };
}

/** Percent → basis points, dollars → cents; at most two decimals, never negative. */
export function commissionRate(input: CommissionInput, param: string): CommissionRate {
  const value = toHundredths(input.value);
  if (value === null || value < 0)
    throw new AffiliateRuleError('invalid_field', 'A commission is a non-negative number with at most two decimals', `${param}.value`);
  if (input.type === 'PERCENTAGE' && value > 10_000)
    throw new AffiliateRuleError('invalid_field', 'A percentage commission is at most 100', `${param}.value`);
  return { type: input.type, value };
}

export function rateView(rate: CommissionRate) {
  return { type: rate.type, value: String(rate.value / 100) };
}

export async function saveProgram(trx: DbExecutor, storeId: number, input: ProgramInput): Promise<Program> {
  const current = await loadProgram(trx, storeId, { lock: true });
  const commission = input.commission
    ? commissionRate(input.commission, 'commission')
    : { type: current.commission_type, value: current.commission_value };
  let minimum = current.minimum_payout_cents;
  if (input.minimum_payout !== undefined) {
    const cents = toHundredths(input.minimum_payout);
    if (cents === null || cents < 0)
      throw new AffiliateRuleError(
        'invalid_field',
        'The minimum payout is a non-negative amount with at most two decimals',
        'minimum_payout',
      );
    minimum = cents;
  }
  const payoutMethods = input.payout_methods ?? current.payout_methods;
  const unknown = payoutMethods.filter((m) => !(PAYMENT_METHODS as readonly string[]).includes(m));
  if (unknown.length > 0) throw new AffiliateRuleError('invalid_field', `Unknown payout method ${unknown.join(', ')}`, 'payout_methods');
  if (payoutMethods.length === 0) throw new AffiliateRuleError('invalid_field', 'Name at least one payout method', 'payout_methods');
  const customProducts = input.custom_products ?? current.custom_products;

  if (input.products) {
    const rates = input.products.map((p, i) => ({
      productId: p.product_id,
      rate: commissionRate(p.commission, `products.${i}.commission`),
    }));
    const ids = [...new Set(rates.map((r) => r.productId))];
    if (ids.length !== rates.length) throw new AffiliateRuleError('invalid_field', 'A product is listed twice', 'products');
    if (ids.length > 0) {
      const found = await trx
        .selectFrom('products')
        .select('id')
        .where('store_id', '=', storeId)
        .where('id', 'in', ids)
        .where('deleted_at', 'is', null)
        .execute();
      const missing = ids.filter((id) => !found.some((f) => f.id === id));
      if (missing.length > 0) throw new AffiliateRuleError('invalid_field', `No product ${missing.join(', ')} in this store`, 'products');
    }
    await trx.deleteFrom('affiliate_product_rates').where('store_id', '=', storeId).execute();
    if (rates.length > 0) {
      await trx
        .insertInto('affiliate_product_rates')
        .values(
          rates.map((r) => ({ store_id: storeId, product_id: r.productId, commission_type: r.rate.type, commission_value: r.rate.value })),
        )
        .execute();
    }
  }
  if (customProducts && !input.products && current.productRates.size === 0) {
    throw new AffiliateRuleError('missing_field', 'Custom products need the products affiliates may promote', 'products');
  }

  const columns = {
    enabled: input.enabled ?? current.enabled,
    auto_approve: input.auto_approve ?? current.auto_approve,
    auto_accept_referrals: input.auto_accept_referrals ?? current.auto_accept_referrals,
    commission_type: commission.type,
    commission_value: commission.value,
    minimum_payout_cents: minimum,
    tracking_days: input.tracking_days ?? current.tracking_days,
    referrer_order: input.referrer_order ?? current.referrer_order,
    payout_methods: sql<string[]>`${sql.val(payoutMethods)}::text[]`,
    custom_products: customProducts,
    updated_at: new Date(),
  };
  await trx
    .insertInto('affiliate_programs')
    .values({ store_id: storeId, ...columns })
    .onConflict((oc) => oc.column('store_id').doUpdateSet(columns))
    .execute();
  return loadProgram(trx, storeId);
}

export function programView(program: Program) {
  return {
    enabled: program.enabled,
    auto_approve: program.auto_approve,
    auto_accept_referrals: program.auto_accept_referrals,
    commission: rateView({ type: program.commission_type, value: program.commission_value }),
    minimum_payout: String(program.minimum_payout_cents / 100),
    tracking_days: program.tracking_days,
    referrer_order: program.referrer_order,
    payout_methods: program.payout_methods,
    custom_products: program.custom_products,
    products: [...program.productRates.entries()].map(([productId, rate]) => ({ product_id: productId, commission: rateView(rate) })),
    updated_at: laravelTime(program.updated_at),
  };
}

/** The commission rules for one affiliate of this program. */
export function commissionRules(
  program: Program,
  affiliate: { commission_type: CommissionType | null; commission_value: number | null; eligible_products: number[] },
): CommissionRules {
  return {
    storeDefault: { type: program.commission_type, value: program.commission_value },
    productRates: program.productRates,
    customProductsOnly: program.custom_products,
    affiliateRate:
      affiliate.commission_type && affiliate.commission_value !== null
        ? { type: affiliate.commission_type, value: affiliate.commission_value }
        : null,
    affiliateProducts: affiliate.eligible_products,
  };
}
