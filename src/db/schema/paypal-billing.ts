import type { Generated } from 'kysely';

/** A PayPal catalog product and billing plan made once for a REST app, variant and price. */
export interface PaypalBillingPlansTable {
  id: Generated<number>;
  store_id: number;
  client_id: string;
  product_variant_id: number;
  price_cents: number;
  currency: string;
  interval: string;
  interval_count: number;
  paypal_product_id: string;
  paypal_plan_id: string;
  created_at: Generated<Date>;
}
