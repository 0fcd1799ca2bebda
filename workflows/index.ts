// The worker's workflow bundle: every workflow type is exported from here.
import type { WorkflowSignatures } from '../src/temporal/contracts/workflows';
import type * as registered from './index';

export { ping } from './ping';
export { order } from './order';
export { baseline } from './baseline';
export { webhookDelivery } from './webhook-delivery';
export { eventDispatcher } from './event-dispatcher';
export { notificationDelivery } from './notification-delivery';
export { subscription } from './subscription';
export { subscriptionReconciliation } from './subscription-reconciliation';
export { chargeWebhook } from './charge-webhook';
export { affiliatePayoutCycle } from './affiliate-payout-cycle';
export { affiliateInvite } from './affiliate-invite';
export { cryptoPayment } from './crypto-payment';
export { paypalCapture } from './paypal-capture';
export { communityGrant } from './community-grant';
export { refund } from './refund';
export { checkoutReminders } from './checkout-reminders';
export { buyerNotice } from './buyer-notice';

/** Fails to typecheck when a registered workflow no longer answers to its contract (or one is missing). */
type Answers<Registered extends WorkflowSignatures> = Registered;
export type RegisteredWorkflows = Answers<typeof registered>;
