/**
 * Workflow ids derive from the business entity, so starting twice for the same entity is
 * refused by Temporal rather than creating a second workflow.
 */
export const workflowIds = {
  ping: (nonce: string) => `ping-${nonce}`,
  order: (invoiceId: number | string) => `order-${invoiceId}`,
  refund: (refundId: number | string) => `refund-${refundId}`,
  cryptoPayment: (invoiceId: number | string) => `crypto-${invoiceId}`,
  paypalCapture: (invoiceId: number | string) => `paypal-capture-${invoiceId}`,
  checkoutReminders: (invoiceId: number | string) => `checkout-reminders-${invoiceId}`,
  buyerNotice: (invoiceId: number | string, key: string) => `buyer-notice-${invoiceId}-${key}`,
  communityGrant: (grantId: number | string) => `grant-${grantId}`,
  subscription: (subscriptionId: number | string) => `subscription-${subscriptionId}`,
  affiliatePayoutCycle: (storeId: number | string, date: string) => `payouts-${storeId}-${date}`,
  webhookDelivery: (eventId: string, endpointId: number | string) => `webhook-${eventId}-${endpointId}`,
  notificationDelivery: (eventId: string, channelId: number | string) => `notify-${eventId}-${channelId}`,
  eventDispatcher: (taskQueue: string) => `event-dispatcher-${taskQueue}`,
};
