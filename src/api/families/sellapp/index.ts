import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { AsnLookup } from '../../../blacklists/asn-lookup';
import type { StripeGateway } from '../../../gateways/stripe-gateway';
import type { PaypalGateway } from '../../../gateways/paypal/paypal-gateway';
import type { SecretBox } from '../../../security/secret-box';
import type { ApiDependencies } from '../../context';
import { DocumentedRouter } from '../../route';
import { registerAffiliatePayoutRoutes } from '../../routes/v2/affiliate-payouts';
import { registerAffiliatePortalRoutes } from '../../routes/v2/affiliate-portal';
import { registerAffiliateReferralRoutes } from '../../routes/v2/affiliate-referrals';
import { registerAffiliateRoutes } from '../../routes/v2/affiliates';
import { registerApiKeyRoutes } from '../../routes/v2/api-keys';
import { registerChargeRoutes } from '../../routes/v2/charges';
import { registerCheckoutSettingsRoutes } from '../../routes/v2/checkout-settings';
import { registerDeliveryEmailSettingsRoutes } from '../../routes/v2/delivery-email-settings';
import { registerCommunityRoutes } from '../../routes/v2/community';
import { registerCommunityAccessRoutes } from '../../routes/v2/community-access';
import { registerCustomerRoutes } from '../../routes/v2/customers';
import { registerCustomerSessionRoutes } from '../../routes/v2/customer-sessions';
import { registerDisputeRoutes } from '../../routes/v2/disputes';
import { registerGroupRoutes } from '../../routes/v2/groups';
import { registerInvoiceCommunityRoutes } from '../../routes/v2/invoice-community';
import { registerInvoiceRoutes } from '../../routes/v2/invoices';
import { registerLineItemRoutes } from '../../routes/v2/line-items';
import { registerLicenseKeyRoutes } from '../../routes/v2/license-keys';
import { registerNotificationRoutes } from '../../routes/v2/notifications';
import { registerOpsRoutes } from '../../routes/v2/ops';
import { registerOrderRoutes } from '../../routes/v2/orders';
import { registerPaymentSettingsRoutes } from '../../routes/v2/payment-settings';
import { registerProductRoutes } from '../../routes/v2/products';
import { registerReconciliationRoutes } from '../../routes/v2/subscription-reconciliations';
import { registerRefundRoutes } from '../../routes/v2/refunds';
import { registerSubscriptionActionRoutes } from '../../routes/v2/subscription-actions';
import { registerSubscriptionRoutes } from '../../routes/v2/subscriptions';
import { registerVariantDeliverableRoutes } from '../../routes/v2/variant-deliverables';
import { registerVariantRoutes } from '../../routes/v2/variants';
import { registerWebhookRoutes } from '../../routes/v2/webhooks';
import { feedbackViewsV2 } from '../../../support/feedback';
import { ticketViewsV2 } from '../../../support/tickets';
import type { ApiFamily } from '../family';
import { registerAccountRoutes } from './account';
import { registerAffiliateProgramRoutes } from './affiliate-program';
import { registerBlacklistRoutes } from './blacklists';
import { registerCommunityConnectionRoutes } from './community-connections';
import { registerCouponRoutes } from './coupons';
import { registerFeedbackRoutes } from './feedback';
import { registerSectionRoutes } from './sections';
import { registerStoreSettingsRoutes } from './store-settings';
import { registerNotificationChannelRoutes } from './notification-channels';
import { registerPaymentMethodRoutes } from './payment-methods';
import { registerTicketRoutes } from './tickets';
import { registerWebhookChannelRoutes } from './webhook-channels';
import { registerWebhookEventRoutes } from './webhook-events';

export interface SellAppGateways {
  stripe: StripeGateway;
  paypal: PaypalGateway;
  secrets: SecretBox;
  asn: AsnLookup;
}

/**
 * SellApp's current API (spec 2026-08-30), the one its official SDKs call: everything under
 * /api/v2, and the resources the spec still serves under /api/v1 (blacklists, coupons, feedback,
 * sections, tickets). Its error dialect: 422 and SellApp's wording for validation.
 */
export function sellappFamily(registry: OpenAPIRegistry, deps: ApiDependencies, gateways: SellAppGateways): ApiFamily {
  const { stripe, paypal, secrets, asn } = gateways;
  const v2 = new DocumentedRouter(registry, '/api/v2');
  registerAccountRoutes(v2, deps);
  registerStoreSettingsRoutes(v2, deps);
  registerApiKeyRoutes(v2, deps);
  registerOpsRoutes(v2, deps);
  registerProductRoutes(v2, deps);
  registerVariantRoutes(v2, deps);
  registerVariantDeliverableRoutes(v2, deps);
  registerInvoiceRoutes(v2, deps, { stripe, paypal, secrets, asn });
  // The same invoices as the spec's orders and line items.
  registerOrderRoutes(v2, deps, { stripe, paypal, secrets, asn });
  registerLineItemRoutes(v2, deps);
  registerSubscriptionRoutes(v2, deps);
  registerSubscriptionActionRoutes(v2, deps);
  registerCustomerRoutes(v2, deps);
  registerCustomerSessionRoutes(v2, deps);
  registerLicenseKeyRoutes(v2, deps);
  registerGroupRoutes(v2, deps);
  registerChargeRoutes(v2, deps, secrets);
  registerRefundRoutes(v2, deps);
  registerDisputeRoutes(v2, deps);
  // Literal /affiliates/referrals|payouts paths before /affiliates/:affiliate.
  registerAffiliateReferralRoutes(v2, deps);
  registerAffiliatePayoutRoutes(v2, deps, secrets);
  registerAffiliateRoutes(v2, deps, secrets);
  registerAffiliatePortalRoutes(v2, deps);
  registerAffiliateProgramRoutes(v2, deps, secrets);
  registerReconciliationRoutes(v2, deps);
  registerPaymentSettingsRoutes(v2, deps, secrets, paypal);
  registerCheckoutSettingsRoutes(v2, deps);
  registerDeliveryEmailSettingsRoutes(v2, deps);
  registerPaymentMethodRoutes(v2, deps, secrets, paypal);
  registerWebhookRoutes(v2, deps, secrets);
  registerWebhookChannelRoutes(v2, deps, secrets);
  registerWebhookEventRoutes(v2, deps);
  registerNotificationRoutes(v2, deps, secrets);
  registerNotificationChannelRoutes(v2, deps, secrets);
  registerCommunityRoutes(v2, deps, secrets);
  registerCommunityConnectionRoutes(v2, deps, secrets);
  registerCommunityAccessRoutes(v2, deps);
  registerInvoiceCommunityRoutes(v2, deps, secrets);
  // The spec's v2 forms of resources it also serves under /v1: the same routes over the same data (tickets and feedback in their v2 model).
  registerCouponRoutes(v2, deps);
  registerBlacklistRoutes(v2, deps);
  registerSectionRoutes(v2, deps);
  registerTicketRoutes(v2, deps, ticketViewsV2);
  registerFeedbackRoutes(v2, deps, feedbackViewsV2);

  const v1 = new DocumentedRouter(registry, '/api/v1');
  registerCouponRoutes(v1, deps);
  registerBlacklistRoutes(v1, deps);
  registerSectionRoutes(v1, deps);
  registerFeedbackRoutes(v1, deps);
  registerTicketRoutes(v1, deps);
  return { name: 'SellApp', dialect: 'sellapp', routers: [v2, v1] };
}
