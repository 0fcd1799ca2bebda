// The worker's workflow bundle: every workflow type is exported from here.
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
export { communityGrant } from './community-grant';
