import type { Kysely, Transaction } from 'kysely';
import type { AccountsTable } from './accounts';
import type { CustomerSessionsTable, CustomersTable } from './customers';
import type {
  CommunityConnectionsTable,
  CommunityGrantsTable,
  CommunitySpacesTable,
  InvoiceCommunityLinksTable,
  TelegramConnectCodesTable,
  TelegramUpdateCursorTable,
  VariantCommunityAccessTable,
} from './community';
import type {
  AffiliateClicksTable,
  AffiliatePayoutCyclesTable,
  AffiliatePayoutsTable,
  AffiliateProductRatesTable,
  AffiliateProgramsTable,
  AffiliateReferralsTable,
  AffiliatesTable,
} from './affiliates';
import type {
  GroupProductsTable,
  GroupsTable,
  ProductsTable,
  ProductVariantsTable,
  ReleaseFilesTable,
  ReleasesTable,
  SectionsTable,
  UploadsTable,
  VariantDeliverableFilesTable,
  VariantDeliverableFoldersTable,
  VariantSerialsTable,
} from './catalog';
import type {
  EventsTable,
  NotificationChannelsTable,
  NotificationDeliveriesTable,
  WebhookDeliveriesTable,
  WebhookEndpointsTable,
  WebhookSigningSecretsTable,
} from './events';
import type {
  DeliveryEmailsTable,
  DeliveryStepsTable,
  GatewayEventsTable,
  InvoiceLinesTable,
  InvoicesTable,
  LicenseKeyInstancesTable,
  LicenseKeysTable,
  PaymentGatewaysTable,
} from './orders';
import type { ApiKeysTable } from './api-keys';
import type { EngineIntentsTable, RelayStateTable } from './engine-intents';
import type { DisputesTable, RefundsTable } from './refunds';
import type { ConsoleSessionsTable, OpsAuditLogTable } from './console';
import type { IdempotencyKeysTable } from './idempotency-keys';
import type { PingRunsTable } from './ping-runs';
import type { PaypalBillingPlansTable } from './paypal-billing';
import type { StoresTable } from './stores';
import type { CustomPaymentMethodsTable, InvoicePaymentProofsTable } from './custom-payments';
import type { CryptoPaymentsTable, CryptoPaymentTxsTable, CryptoUnmatchedTransfersTable, CryptoWalletsTable } from './crypto';
import type { FeedbackTable, TicketMessagesTable, TicketsTable } from './support';
import type { BlacklistsTable, BlockedCheckoutsTable, CheckoutAttemptsTable, CouponRedemptionsTable, CouponsTable } from './checkout-rules';
import type {
  SubscriptionActionsTable,
  SubscriptionChangePreviewsTable,
  SubscriptionPaymentsTable,
  SubscriptionReconciliationsTable,
  SubscriptionRepairsTable,
  SubscriptionsTable,
} from './subscriptions';

export type { ApiKeyMode } from './api-keys';
export type { EngineIntentKind } from './engine-intents';
export type { VariantDeliverableConfig } from './catalog';
export type { DeliveryStepKind, DeliveryStepStatus, StatusHistoryEntry } from './orders';
export type { SubscriptionAction, SubscriptionCancelRequest } from './subscriptions';
export type { DisputeStatus, RefundStatus } from './refunds';

export interface Database {
  community_connections: CommunityConnectionsTable;
  community_spaces: CommunitySpacesTable;
  telegram_connect_codes: TelegramConnectCodesTable;
  telegram_update_cursor: TelegramUpdateCursorTable;
  variant_community_access: VariantCommunityAccessTable;
  invoice_community_links: InvoiceCommunityLinksTable;
  community_grants: CommunityGrantsTable;
  accounts: AccountsTable;
  stores: StoresTable;
  api_keys: ApiKeysTable;
  idempotency_keys: IdempotencyKeysTable;
  engine_intents: EngineIntentsTable;
  relay_state: RelayStateTable;
  console_sessions: ConsoleSessionsTable;
  ops_audit_log: OpsAuditLogTable;
  ping_runs: PingRunsTable;
  events: EventsTable;
  products: ProductsTable;
  product_variants: ProductVariantsTable;
  variant_serials: VariantSerialsTable;
  variant_deliverable_files: VariantDeliverableFilesTable;
  variant_deliverable_folders: VariantDeliverableFoldersTable;
  uploads: UploadsTable;
  releases: ReleasesTable;
  release_files: ReleaseFilesTable;
  invoices: InvoicesTable;
  customers: CustomersTable;
  customer_sessions: CustomerSessionsTable;
  invoice_lines: InvoiceLinesTable;
  delivery_steps: DeliveryStepsTable;
  delivery_emails: DeliveryEmailsTable;
  license_keys: LicenseKeysTable;
  license_key_instances: LicenseKeyInstancesTable;
  sections: SectionsTable;
  groups: GroupsTable;
  group_products: GroupProductsTable;
  feedback: FeedbackTable;
  tickets: TicketsTable;
  ticket_messages: TicketMessagesTable;
  payment_gateways: PaymentGatewaysTable;
  gateway_events: GatewayEventsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_signing_secrets: WebhookSigningSecretsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  notification_channels: NotificationChannelsTable;
  notification_deliveries: NotificationDeliveriesTable;
  subscriptions: SubscriptionsTable;
  subscription_payments: SubscriptionPaymentsTable;
  subscription_actions: SubscriptionActionsTable;
  subscription_change_previews: SubscriptionChangePreviewsTable;
  subscription_reconciliations: SubscriptionReconciliationsTable;
  subscription_repairs: SubscriptionRepairsTable;
  paypal_billing_plans: PaypalBillingPlansTable;
  coupons: CouponsTable;
  coupon_redemptions: CouponRedemptionsTable;
  blacklists: BlacklistsTable;
  blocked_checkouts: BlockedCheckoutsTable;
  checkout_attempts: CheckoutAttemptsTable;
  affiliate_programs: AffiliateProgramsTable;
  affiliates: AffiliatesTable;
  affiliate_product_rates: AffiliateProductRatesTable;
  affiliate_clicks: AffiliateClicksTable;
  affiliate_payout_cycles: AffiliatePayoutCyclesTable;
  affiliate_payouts: AffiliatePayoutsTable;
  affiliate_referrals: AffiliateReferralsTable;
  crypto_wallets: CryptoWalletsTable;
  custom_payment_methods: CustomPaymentMethodsTable;
  invoice_payment_proofs: InvoicePaymentProofsTable;
  crypto_payments: CryptoPaymentsTable;
  crypto_payment_txs: CryptoPaymentTxsTable;
  crypto_unmatched_transfers: CryptoUnmatchedTransfersTable;
  refunds: RefundsTable;
  disputes: DisputesTable;
}

export type Db = Kysely<Database>;
export type DbTransaction = Transaction<Database>;
/** Either the database or an open transaction: services accept both. */
export type DbExecutor = Db | DbTransaction;
