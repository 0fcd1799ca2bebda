import type { Generated } from 'kysely';

export interface StoresTable {
  id: Generated<number>;
  account_id: number;
  slug: string;
  name: string;
  timezone: Generated<string>;
  currency: Generated<string>;
  /** Overrides of the default API rate limit for every key of this store. */
  rate_limit_per_minute: number | null;
  rate_limit_burst: number | null;
  allow_http_webhooks: Generated<boolean>;
  webhook_secret_encrypted: string | null;
  invoice_ttl_seconds: Generated<number>;
  subscription_grace_seconds: Generated<number>;
  community_wait_hours: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  deleted_at: Date | null;
}
