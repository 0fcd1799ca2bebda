import type { ColumnType, Generated } from 'kysely';
import type { AbandonedCartSettings } from '../../domain/abandoned-cart';

export interface StoresTable {
  id: Generated<number>;
  account_id: number;
  slug: string;
  name: string;
  timezone: Generated<string>;
  currency: Generated<string>;
  /** Who may see the storefront: PUBLIC, HIDDEN (by link) or PRIVATE. */
  visibility: Generated<'PUBLIC' | 'HIDDEN' | 'PRIVATE'>;
  /** The storefront's colour scheme; null is the theme's own. */
  dark_mode: Generated<'light' | 'dark' | 'system' | null>;
  /** Overrides of the default API rate limit for every key of this store. */
  rate_limit_per_minute: number | null;
  rate_limit_burst: number | null;
  allow_http_webhooks: Generated<boolean>;
  webhook_secret_encrypted: string | null;
  invoice_ttl_seconds: Generated<number>;
  subscription_grace_seconds: Generated<number>;
  community_wait_hours: Generated<number>;
  /** Sites whose pages may call fast checkout (CORS); '*' is any site, none is no browser. */
  checkout_allowed_origins: Generated<string[]>;
  /** A dispute on an order adds the customer's e-mail and IP to the blacklist. */
  blacklist_on_dispute: Generated<boolean>;
  /** The seed's "Disable Checkout Email": checkout does not ask for the buyer's e-mail (it may still be given). */
  disable_checkout_email: Generated<boolean>;
  /** Invoice-creation attempts allowed per hour per key; null = that limit is off. */
  checkout_limit_ip_email: Generated<number | null>;
  checkout_limit_ip: Generated<number | null>;
  checkout_limit_email: Generated<number | null>;
  checkout_limit_fingerprint: Generated<number | null>;
  /** How long a client that went over a limit waits; null = until its hour is over. */
  checkout_limit_window_seconds: Generated<number | null>;
  /** Reply-To of the buyer's delivery e-mail; null: none. */
  reply_to_email: Generated<string | null>;
  /** The seed's "Send Delivery Email": off, the buyer gets no delivery e-mail. */
  send_delivery_email: Generated<boolean>;
  /** BCC'd on every delivery e-mail (Trustpilot's review invitations); null: none. */
  trustpilot_email: Generated<string | null>;
  /** Abandoned-checkout reminders (src/domain/abandoned-cart.ts); null: off. */
  abandoned_cart: ColumnType<AbandonedCartSettings | null, string | null | undefined, string | null>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  deleted_at: Date | null;
}
