import type { Generated } from 'kysely';
import type { BlacklistType } from '../../domain/blacklist';
import type { CouponType } from '../../domain/coupons';

export interface CouponsTable {
  id: Generated<number>;
  store_id: number;
  code: string;
  type: CouponType;
  /** PERCENTAGE: basis points; AMOUNT: cents. */
  discount: number;
  store_wide: boolean;
  products: Generated<number[]>;
  limit: number | null;
  uses: Generated<number>;
  minimum_amount_cents: number | null;
  maximum_discount_cents: number | null;
  expires_at: Date | null;
  /** Set for an affiliate's coupon: using it attributes the order to them. */
  affiliate_id: Generated<number | null>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  deleted_at: Date | null;
}

export interface CouponRedemptionsTable {
  id: Generated<number>;
  coupon_id: number;
  invoice_id: number;
  discount_cents: number;
  created_at: Generated<Date>;
}

export interface BlacklistsTable {
  id: Generated<number>;
  store_id: number;
  type: BlacklistType;
  data: string;
  description: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface BlockedCheckoutsTable {
  id: Generated<number>;
  store_id: number;
  blacklist_id: number | null;
  rule_type: string;
  rule_data: string;
  customer_email: string | null;
  customer_ip: string | null;
  country: string | null;
  created_at: Generated<Date>;
}

export type CheckoutAttemptScope = 'ip_email' | 'ip' | 'email' | 'fingerprint';

export interface CheckoutAttemptsTable {
  store_id: number;
  scope: CheckoutAttemptScope;
  /** sha256 of the counted value: the counters keep no e-mail or address. */
  key_hash: string;
  window_started_at: Date;
  attempts: number;
  blocked_until: Date | null;
}
