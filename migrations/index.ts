import type { Migration } from 'kysely';
import * as m0001 from './0001_accounts_stores_api_keys';
import * as m0002 from './0002_catalog';
import * as m0003 from './0003_orders';
import * as m0004 from './0004_payment_gateways';
import * as m0005 from './0005_webhooks';
import * as m0006 from './0006_notifications';
import * as m0007 from './0007_subscriptions';
import * as m0008 from './0008_checkout_rules';
import * as m0009 from './0009_license_instances';
import * as m0010 from './0010_groups_sections';
import * as m0011 from './0011_support';
import * as m0012 from './0012_charges';
import * as m0013 from './0013_affiliates';
import * as m0014 from './0014_crypto_payments';
import * as m0015 from './0015_community';
import * as m0016 from './0016_payment_attention';
import * as m0017 from './0017_store_reconciliations';
import * as m0018 from './0018_rate_limits';
import * as m0019 from './0019_idempotency_keys';
import * as m0020 from './0020_engine_intents';
import * as m0021 from './0021_invoice_request_keys';
import * as m0023 from './0023_ops_console';
import * as m0024 from './0024_webhook_signing_secrets';
import * as m0025 from './0025_relay_wakeups';
import * as m0026 from './0026_quiet_outbox_news';
import * as m0027 from './0027_checkout_protection';
import * as m0028 from './0028_crypto_checkout_settings';
import * as m0029 from './0029_customers';
import * as m0030 from './0030_variant_deliverable_files';
import * as m0031 from './0031_custom_payment_methods';
import * as m0032 from './0032_official_settings_and_payouts';
import * as m0033 from './0033_refunds_disputes';
import * as m0034 from './0034_subscription_actions';
import * as m0035 from './0035_delivery_emails';
import * as m0036 from './0036_delivery_email_settings';
import * as m0037 from './0037_abandoned_cart_reminders';
import * as m0038 from './0038_subscription_changes';
import * as m0039 from './0039_grant_restoration';
import * as m0040 from './0040_optional_checkout_email';
import * as m0041 from './0041_delivery_email_lease';
import * as m0042 from './0042_paypal_billing_plans';
import * as m0043 from './0043_grant_link_email';
import * as m0044 from './0044_refund_pending_reason';

/**
 * Every migration, in order. Listed statically (not read from the directory) so the
 * same list works under tsx, jest and a bundled build. Forward-only: never edit one
 * that has shipped; add the next file.
 */
export const migrations: Record<string, Migration> = {
  '0001_accounts_stores_api_keys': m0001,
  '0002_catalog': m0002,
  '0003_orders': m0003,
  '0004_payment_gateways': m0004,
  '0005_webhooks': m0005,
  '0006_notifications': m0006,
  '0007_subscriptions': m0007,
  '0008_checkout_rules': m0008,
  '0009_license_instances': m0009,
  '0010_groups_sections': m0010,
  '0011_support': m0011,
  '0012_charges': m0012,
  '0013_affiliates': m0013,
  '0014_crypto_payments': m0014,
  '0015_community': m0015,
  '0016_payment_attention': m0016,
  '0017_store_reconciliations': m0017,
  '0018_rate_limits': m0018,
  '0019_idempotency_keys': m0019,
  '0020_engine_intents': m0020,
  '0021_invoice_request_keys': m0021,
  '0023_ops_console': m0023,
  '0024_webhook_signing_secrets': m0024,
  '0025_relay_wakeups': m0025,
  '0026_quiet_outbox_news': m0026,
  '0027_checkout_protection': m0027,
  '0028_crypto_checkout_settings': m0028,
  '0029_customers': m0029,
  '0030_variant_deliverable_files': m0030,
  '0031_custom_payment_methods': m0031,
  '0032_official_settings_and_payouts': m0032,
  '0033_refunds_disputes': m0033,
  '0034_subscription_actions': m0034,
  '0035_delivery_emails': m0035,
  '0036_delivery_email_settings': m0036,
  '0037_abandoned_cart_reminders': m0037,
  '0038_subscription_changes': m0038,
  '0039_grant_restoration': m0039,
  '0040_optional_checkout_email': m0040,
  '0041_delivery_email_lease': m0041,
  '0042_paypal_billing_plans': m0042,
  '0043_grant_link_email': m0043,
  '0044_refund_pending_reason': m0044,
};
