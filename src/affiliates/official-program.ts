import type { CommissionInput, ProgramInput } from './program';
import { AffiliateRuleError } from './errors';
import { loadOfficialProgram, productsOfVariants } from './official-views';
import { configureProgram, type ScheduleEngine } from './program-setup';

/** ReplaceAffiliateProgramConfigurationRequest: the whole program, its products by variant. */
export interface OfficialProgramInput {
  enabled: boolean;
  settings: {
    auto_approve_affiliates: boolean;
    minimum_payout: string;
    commission: { type: 'percentage' | 'fixed'; amount: string };
    referrer_type: 'first_referrer' | 'last_referrer';
    tracking_length: number;
    subscription_commission: boolean;
    enabled_specific_products: boolean;
    payout_methods: string[];
    enable_hub: boolean;
  };
  products: {
    id: number;
    enabled: boolean;
    commission?: { type: 'percentage'; percentage: string } | { type: 'fixed'; amount_usd_cents: number };
  }[];
}

function decimal(value: string, param: string): number {
  const number = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(number)) throw new AffiliateRuleError('invalid_field', 'A decimal number, such as "10" or "12.50"', param);
  return number;
}

/**
 * Sellflow rates products, not variants: each enabled variant names its product, and two
 * variants of one product must agree on the rate.
 */
async function productRates(engine: ScheduleEngine, storeId: number, input: OfficialProgramInput, fallback: CommissionInput) {
  const enabled = input.products.filter((p) => p.enabled);
  const owners = await productsOfVariants(
    engine.db,
    storeId,
    enabled.map((p) => p.id),
  );
  const rates = new Map<number, CommissionInput>();
  enabled.forEach((item, i) => {
    const productId = owners.get(item.id);
    if (productId === undefined) throw new AffiliateRuleError('invalid_field', `No variant ${item.id} in this store`, `products.${i}.id`);
    const rate: CommissionInput = !item.commission
      ? fallback
      : item.commission.type === 'fixed'
        ? { type: 'AMOUNT', value: item.commission.amount_usd_cents / 100 }
        : { type: 'PERCENTAGE', value: decimal(item.commission.percentage, `products.${i}.commission.percentage`) };
    const earlier = rates.get(productId);
    if (earlier && (earlier.type !== rate.type || earlier.value !== rate.value))
      throw new AffiliateRuleError(
        'invalid_field',
        `Sellflow rates whole products: the variants of product ${productId} need one commission`,
        `products.${i}.commission`,
      );
    rates.set(productId, rate);
  });
  return [...rates.entries()].map(([product_id, commission]) => ({ product_id, commission }));
}

/**
 * PUT /v2/affiliate-program: the official configuration saved through the program's own rules
 * (and its payout schedule). What Sellflow does not do is refused rather than ignored:
 * commission on subscription renewals, and switching the always-on affiliate portal off.
 */
export async function replaceOfficialProgram(engine: ScheduleEngine, storeId: number, input: OfficialProgramInput) {
  const { settings } = input;
  if (settings.subscription_commission)
    throw new AffiliateRuleError(
      'unsupported_setting',
      'Sellflow pays commission on the first payment of an order only, not on subscription renewals',
      'settings.subscription_commission',
    );
  if (!settings.enable_hub)
    throw new AffiliateRuleError('unsupported_setting', "Sellflow's affiliate portal cannot be switched off", 'settings.enable_hub');
  const commission: CommissionInput = {
    type: settings.commission.type === 'fixed' ? 'AMOUNT' : 'PERCENTAGE',
    value: decimal(settings.commission.amount, 'settings.commission.amount'),
  };
  const program: ProgramInput = {
    enabled: input.enabled,
    auto_approve: settings.auto_approve_affiliates,
    commission,
    minimum_payout: decimal(settings.minimum_payout, 'settings.minimum_payout'),
    tracking_days: settings.tracking_length,
    referrer_order: settings.referrer_type === 'first_referrer' ? 'FIRST' : 'LAST',
    payout_methods: settings.payout_methods,
    custom_products: settings.enabled_specific_products,
    products: await productRates(engine, storeId, input, commission),
  };
  await configureProgram(engine, storeId, program);
  return loadOfficialProgram(engine.db, storeId);
}
