/**
 * One event catalogue: the union of both seeds' lists plus the events our workflows need.
 * Webhook endpoints subscribe to these names.
 */
export const EVENT_TYPES = [
  'order.created',
  'order.completed',
  'order.paid',
  'order.refunded',
  'order.disputed',
  /** Money that did not match its invoice (mode, session, currency, amount, a voided or paid invoice): nothing paid. */
  'order.payment_mismatch',
  'release.published',
  'subscription.created',
  'subscription.updated',
  'subscription.canceled',
  'subscription.payment_failed',
  'subscription.repaired',
  'product.created',
  'product.updated',
  'product.trashed',
  'variant.created',
  'variant.updated',
  'variant.sold_out',
  'feedback.created',
  'ticket_message.created',
  'cash_app.payment_requires_attention',
  'community.grant_failed',
  'delivery.needs_attention',
  'checkout.blocked',
  'charge.updated',
  'webhook_endpoint.paused',
  'affiliate.applied',
  'affiliate.invited',
  'referral.created',
  'affiliate.payouts_created',
  'crypto.payment_unmatched',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];
