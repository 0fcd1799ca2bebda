import type { BuyerNoticeWorkflow } from './buyer-notice';
import type { CheckoutRemindersWorkflow } from './checkout-reminders';
import type { AffiliateInviteWorkflow, AffiliatePayoutCycleWorkflow } from './affiliates';
import type { CommunityGrantWorkflow } from './community-grant';
import type { CryptoPaymentWorkflow } from './crypto-payment';
import type { OrderWorkflow } from './order';
import type { PaypalCaptureWorkflow } from './paypal-capture';
import type { RefundWorkflow } from './refund';
import type { BaselineWorkflow, PingWorkflow } from './ping';
import type { SubscriptionWorkflow } from './subscription';
import type { SubscriptionReconciliationWorkflow } from './subscription-reconciliation';
import type { ChargeWebhookWorkflow, EventDispatcherWorkflow, NotificationDeliveryWorkflow, WebhookDeliveryWorkflow } from './webhooks';

/**
 * Every workflow the worker registers, by its type name, with its signature. Clients start
 * workflows through these names (src/temporal/workflow-client.ts), and workflows/index.ts
 * fails to typecheck when a registered workflow stops answering to its entry here.
 */
export interface WorkflowSignatures {
  ping: PingWorkflow;
  baseline: BaselineWorkflow;
  order: OrderWorkflow;
  cryptoPayment: CryptoPaymentWorkflow;
  paypalCapture: PaypalCaptureWorkflow;
  communityGrant: CommunityGrantWorkflow;
  subscription: SubscriptionWorkflow;
  subscriptionReconciliation: SubscriptionReconciliationWorkflow;
  affiliatePayoutCycle: AffiliatePayoutCycleWorkflow;
  affiliateInvite: AffiliateInviteWorkflow;
  eventDispatcher: EventDispatcherWorkflow;
  webhookDelivery: WebhookDeliveryWorkflow;
  notificationDelivery: NotificationDeliveryWorkflow;
  chargeWebhook: ChargeWebhookWorkflow;
  refund: RefundWorkflow;
  checkoutReminders: CheckoutRemindersWorkflow;
  buyerNotice: BuyerNoticeWorkflow;
}

export type WorkflowName = keyof WorkflowSignatures;
