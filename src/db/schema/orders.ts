import type { ColumnType, Generated } from 'kysely';

type Json<T> = ColumnType<T, string | undefined, string>;

export interface StatusHistoryEntry {
  status: string;
  setAt: string;
  updatedAt: string;
}

export interface InvoicesTable {
  id: Generated<number>;
  store_id: number;
  livemode: boolean;
  status: Generated<string>;
  /** Earlier statuses, oldest first (SellApp's status.history). */
  status_history: Json<StatusHistoryEntry[]>;
  status_set_at: Generated<Date>;
  /** Lower-case; null when the store disabled the checkout e-mail and the buyer gave none. */
  customer_email: string | null;
  /** The store's customer this invoice belongs to (by e-mail); null without an e-mail, or for rows written outside the services. */
  customer_id: Generated<number | null>;
  customer_ip: string | null;
  country: string | null;
  vat_id: string | null;
  payment_method: string;
  /** CUSTOM_PAYMENT_METHOD invoices: which of the store's custom methods. */
  custom_payment_method_id: ColumnType<string | null, string | null | undefined, string | null>;
  coupon_code: string | null;
  affiliate: string | null;
  /** The affiliate the order is attributed to, and how (referral link or their coupon). */
  affiliate_id: Generated<number | null>;
  affiliate_source: Generated<'LINK' | 'COUPON' | null>;
  currency: string;
  subtotal_cents: number;
  method_adjustment_cents: Generated<number>;
  extra_cents: Generated<number>;
  total_cents: number;
  units: number;
  gateway: Json<Record<string, unknown>>;
  needs_attention: Generated<boolean>;
  /** Why it needs a person when no delivery step says so (e.g. a payment that did not match it). */
  attention_reason: Generated<string | null>;
  replacement_of: number | null;
  /** `<api key id>:<Idempotency-Key>` of the creating request (see migration 0021). */
  request_key: Generated<string | null>;
  /** sha256 of the fast-checkout buyer's order token (GET …/orders/{token}). */
  status_token_hash: Generated<string | null>;
  subscription_id: Generated<number | null>;
  coupon_id: Generated<number | null>;
  coupon_discount_cents: Generated<number>;
  kind: Generated<'INVOICE' | 'CHARGE'>;
  /** For a charge: what the seller sent (return/cancel URLs, webhook, reference, metadata…). */
  charge: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  expires_at: Date;
  paid_at: Date | null;
  completed_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface InvoiceLinesTable {
  id: Generated<number>;
  invoice_id: number;
  store_id: number;
  product_id: number;
  variant_id: number;
  title: string;
  quantity: number;
  unit_price_cents: number;
  bulk_discount_cents: Generated<number>;
  total_cents: number;
  additional_information: Json<Record<string, unknown>>;
  deliverable_types: ColumnType<string[], string[], string[]>;
}

export type DeliveryStepKind = 'serials' | 'license_keys' | 'dynamic' | 'downloads' | 'manual';
export type DeliveryStepStatus = 'pending' | 'running' | 'delivered' | 'failed' | 'skipped';

export interface DeliveryStepsTable {
  id: Generated<number>;
  invoice_id: number;
  line_id: number;
  kind: DeliveryStepKind;
  status: Generated<DeliveryStepStatus>;
  attempts: Generated<number>;
  reason: string | null;
  /** What was handed over: serials, keys, the seller's message, download names. */
  result: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  updated_at: Generated<Date>;
}

export type DeliveryEmailStatus = 'sending' | 'sent' | 'failed' | 'skipped';

/** The buyer's delivery e-mails: one per invoice and send key (migration 0035). */
export interface DeliveryEmailsTable {
  id: Generated<number>;
  invoice_id: number;
  /** 'order' for the order workflow's own e-mail, a fresh key per resend. */
  send_key: string;
  /** Deterministic per invoice and key, so a receiving server can drop a duplicate too. */
  message_id: string;
  recipient: string;
  status: Generated<DeliveryEmailStatus>;
  reason: string | null;
  attempts: Generated<number>;
  /** The claiming attempt's lease (migration 0041): no other attempt sends before it ends. */
  sending_until: Date | null;
  sent_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface LicenseKeysTable {
  id: Generated<number>;
  store_id: number;
  key: string;
  issue_key: string;
  invoice_id: number;
  product_id: number;
  variant_id: number;
  limit: number | null;
  active: Generated<boolean>;
  expires_at: Date | null;
  subscription_id: number | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface LicenseKeyInstancesTable {
  id: string;
  license_key_id: number;
  store_id: number;
  name: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface PaymentGatewaysTable {
  id: Generated<number>;
  store_id: number;
  method: string;
  enabled: Generated<boolean>;
  settings_sealed: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface GatewayEventsTable {
  id: Generated<number>;
  provider: string;
  event_id: string;
  store_id: number;
  type: string;
  invoice_id: number | null;
  subscription_id: Generated<number | null>;
  /** What the event did: paid, mismatch, partial, flagged, ignored… (null: nothing to say). */
  outcome: Generated<string | null>;
  reason: Generated<string | null>;
  received_at: Generated<Date>;
}
