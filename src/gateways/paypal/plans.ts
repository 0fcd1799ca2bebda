import type { DbExecutor } from '../../db/schema';
import type { BillingInterval } from '../../domain/billing-interval';
import type { PaypalCredentials } from './client';
import type { PaypalBilling } from './subscriptions';

export interface PlanPrice {
  storeId: number;
  variantId: number;
  title: string;
  amountMinor: number;
  currency: string;
  interval: BillingInterval;
  intervalCount: number;
}

/**
 * The PayPal billing plan for a variant at a price, made once per REST app and reused: the
 * catalog product and plan are created with request ids derived from the variant and price, so
 * two checkouts racing here get the same PayPal objects and one cached row.
 */
export async function ensurePaypalPlan(
  db: DbExecutor,
  billing: PaypalBilling,
  credentials: PaypalCredentials,
  price: PlanPrice,
): Promise<string> {
  const key = {
    store_id: price.storeId,
    client_id: credentials.clientId,
    product_variant_id: price.variantId,
    price_cents: price.amountMinor,
    currency: price.currency.toUpperCase(),
    interval: price.interval,
    interval_count: price.intervalCount,
  };
  const cached = await db
    .selectFrom('paypal_billing_plans')
    .select('paypal_plan_id')
    .where('store_id', '=', key.store_id)
    .where('client_id', '=', key.client_id)
    .where('product_variant_id', '=', key.product_variant_id)
    .where('price_cents', '=', key.price_cents)
    .where('currency', '=', key.currency)
    .where('interval', '=', key.interval)
    .where('interval_count', '=', key.interval_count)
    .executeTakeFirst();
  if (cached) return cached.paypal_plan_id;
  const base = `sellflow-${price.storeId}-variant-${price.variantId}`;
  const productId = await billing.createProduct(credentials, { name: price.title, requestId: `${base}-product` });
  const planId = await billing.createPlan(credentials, {
    productId,
    name: price.title,
    amountMinor: price.amountMinor,
    currency: price.currency,
    interval: price.interval,
    intervalCount: price.intervalCount,
    requestId: `${base}-plan-${price.amountMinor}-${key.currency}-${price.intervalCount}-${price.interval}`,
  });
  const row = await db
    .insertInto('paypal_billing_plans')
    .values({ ...key, paypal_product_id: productId, paypal_plan_id: planId })
    // A concurrent checkout cached it first (the same plan, by request id).
    .onConflict((oc) => oc.constraint('paypal_billing_plans_price_uq').doUpdateSet({ paypal_plan_id: planId }))
    .returning('paypal_plan_id')
    .executeTakeFirstOrThrow();
  return row.paypal_plan_id;
}
