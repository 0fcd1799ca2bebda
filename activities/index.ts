import type { Config } from '../src/config';
import type { Db } from '../src/db/schema';
import type { Logger } from '../src/logger';
import type { SecretBox } from '../src/security/secret-box';
import type { ObjectStorage } from '../src/storage/object-storage';
import type { NotificationConfig } from '../src/webhooks/notifications';
import type { PaypalGateway } from '../src/gateways/paypal/paypal-gateway';
import type { StripeGateway } from '../src/gateways/stripe-gateway';
import { createAffiliateActivities } from './affiliates';
import { createBaselineActivities } from './baseline';
import { createCryptoPaymentActivities } from './crypto-payments';
import { createBuyerNoticeActivities } from './buyer-notices';
import { createChargeActivities } from './charges';
import { type CheckoutReminderActivityDependencies, createCheckoutReminderActivities } from './checkout-reminders';
import { createCommunityActivities } from './community';
import { createOrderActivities } from './orders';
import { createPaypalActivities } from './paypal';
import { createPingActivities } from './ping';
import { createRefundActivities } from './refunds';
import { createReconciliationActivities } from './subscription-reconciliation';
import { createSubscriptionActivities, type SubscriptionActivityDependencies } from './subscriptions';
import { createWebhookActivities } from './webhooks';
import type { Client } from '@temporalio/client';

export interface ActivityDependencies {
  db: Db;
  logger: Logger;
  secrets: SecretBox;
  /** Outbound webhooks may target private addresses (WEBHOOKS_ALLOW_PRIVATE_NETWORKS). */
  allowPrivateNetworks: boolean;
  notifications: NotificationConfig;
  storage: ObjectStorage;
  stripe: StripeGateway;
  paypal: PaypalGateway;
  paypalCaptureChecks: Config['paypal']['captureChecks'];
  subscriptions: SubscriptionActivityDependencies['subscriptions'];
  crypto: Config['crypto'];
  community: Config['community'];
  publicBaseUrl: CheckoutReminderActivityDependencies['publicBaseUrl'];
  checkoutReminders: CheckoutReminderActivityDependencies['checkoutReminders'];
  /** For activities that start workflows (the outbox relay). */
  client?: Client;
  taskQueue?: string;
}

/** Every activity the worker registers, built from injected dependencies. */
export function createActivities(deps: ActivityDependencies) {
  return {
    ...createPingActivities(deps),
    ...createOrderActivities(deps),
    ...createBaselineActivities(),
    ...createWebhookActivities(deps),
    ...createSubscriptionActivities(deps),
    ...createReconciliationActivities(deps),
    ...createChargeActivities(deps),
    ...createAffiliateActivities(deps),
    ...createCryptoPaymentActivities(deps),
    ...createCommunityActivities(deps),
    ...createRefundActivities(deps),
    ...createPaypalActivities(deps),
    ...createCheckoutReminderActivities(deps),
    ...createBuyerNoticeActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
