/**
 * One event catalogue: the official spec's webhook event names (the SDKs' `Event` enum) that
 * Sellflow emits, both seeds' lists, and the events our workflows need. Webhook endpoints,
 * channels and notification channels subscribe to these names (and to SPEC_ONLY_EVENTS).
 */
export const EVENT_TYPES = [
  'order.created',
  'order.completed',
  'order.paid',
  'order.refunded',
  'order.disputed',
  /** Sellflow's own (the spec names no refund event): a refund failed at the gateway or was refused; nothing went back. */
  'order.refund_failed',
  /** Money that did not match its invoice (mode, session, currency, amount, a voided or paid invoice): nothing paid. */
  'order.payment_mismatch',
  /** A custom-method checkout started: the order waits for the buyer's payment and the seller's review. */
  'order.pending',
  /** A custom-method order waits for the seller to confirm the payment (proof arrived, or none is asked). */
  'order.payment_review_required',
  /** The seller confirmed a payment by hand (a custom method's review, or any unpaid invoice marked completed). */
  'order.manual_payment_completed',
  'release.published',
  'subscription.created',
  'subscription.updated',
  /** The spec's name of a subscription's end (the Sell seed's is `subscription.canceled`). */
  'subscription.cancelled',
  'subscription.canceled',
  /** The spec's name of a paid renewal (the Sell seed says `subscription.updated`). */
  'subscription.renewed',
  'subscription.payment_failed',
  'subscription.repaired',
  'subscription.paused',
  'subscription.resumed',
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

/** What each event says happened, as GET /v2/webhook-event-types lists them (all at version 1). */
export const EVENT_DESCRIPTIONS: Record<EventType, string> = {
  'order.created': 'An invoice was created.',
  'order.completed': 'An invoice was paid and its goods delivered.',
  'order.paid': 'An invoice was paid.',
  'order.refunded': 'An invoice was refunded.',
  'order.disputed': 'A payment of an invoice was disputed.',
  'order.refund_failed': 'A refund of an invoice failed at the payment gateway (or was refused); no money went back.',
  'order.payment_mismatch': 'Money arrived that did not match its invoice; nothing was paid.',
  'order.pending':
    'An order waits for its payment: a custom payment method checkout started (the seller reviews it), or PayPal holds the capture (payment_method PAYPAL, pending_reason), once per capture.',
  'order.payment_review_required':
    'A custom payment method order waits for the seller to confirm the payment (proof submitted, or none asked).',
  'order.manual_payment_completed':
    'The seller marked an unpaid order (a custom payment method’s, or any other) paid by hand; delivery follows.',
  'release.published': 'A release of a product was published.',
  'subscription.created': 'A subscription started.',
  'subscription.updated': 'A subscription changed (status, period, plan).',
  'subscription.cancelled': 'A subscription ended (cancelled, or expired unpaid).',
  'subscription.canceled': 'A subscription ended: the Sell seed’s name, recorded beside subscription.cancelled.',
  'subscription.renewed': 'A subscription’s renewal was paid: a new period started.',
  'subscription.payment_failed': 'A renewal payment of a subscription failed.',
  'subscription.repaired': 'A subscription was brought back in line with its provider.',
  'subscription.paused': 'A subscription was paused: it renews no more until it is resumed.',
  'subscription.resumed': 'A paused subscription was resumed and renews again.',
  'product.created': 'A product was created.',
  'product.updated': 'A product was changed.',
  'product.trashed': 'A product was deleted.',
  'variant.created': 'A variant was created.',
  'variant.updated': 'A variant was changed.',
  'variant.sold_out': 'A variant ran out of stock.',
  'feedback.created': 'A customer left feedback.',
  'ticket_message.created': 'A message was added to a support ticket.',
  'cash_app.payment_requires_attention': 'A Cash App payment needs the seller to look at it.',
  'community.grant_failed': 'A community role or invite could not be granted.',
  'delivery.needs_attention': 'A delivery step failed and waits for the seller.',
  'checkout.blocked': 'A checkout was refused (blacklist, rules).',
  'charge.updated': 'A charge changed status.',
  'webhook_endpoint.paused': 'A webhook endpoint was paused after repeated failures.',
  'affiliate.applied': 'Someone applied to the affiliate program.',
  'affiliate.invited': 'An affiliate was invited.',
  'referral.created': 'An affiliate referred a sale.',
  'affiliate.payouts_created': 'Affiliate payouts were created.',
  'crypto.payment_unmatched': 'A crypto payment matched no invoice.',
};

/**
 * Seed-era names a subscriber of the seeds' webhook docs relies on, recorded beside the spec's
 * name as a second event with the same data: the Sell seed documents `subscription.canceled`
 * for every end and `subscription.updated` for a renewal.
 */
export const SEED_NAME_BESIDE: Partial<Record<EventType, EventType>> = {
  'subscription.cancelled': 'subscription.canceled',
  'subscription.renewed': 'subscription.updated',
};

/** The spec's event names Sellflow does not emit (bookings, charges' own lifecycle…): a subscription may list them; they never fire. */
export const SPEC_ONLY_EVENTS = [
  'booking.cancelled',
  'booking.rescheduled',
  'charge.completed',
  'charge.created',
  'charge.disputed',
  'charge.partial_paid',
  'charge.review',
  'order.partial_paid',
] as const;

/** Every name a webhook endpoint, channel or notification channel may subscribe to. */
export const SUBSCRIBABLE_EVENTS = [...EVENT_TYPES, ...SPEC_ONLY_EVENTS] as [string, ...string[]];
