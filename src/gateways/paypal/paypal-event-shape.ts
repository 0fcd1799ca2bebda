import type { PaypalCapture } from './paypal-gateway';
import { minorUnits } from './paypal-gateway';

/**
 * A verified PayPal webhook event, read defensively: what we act on is checked for its type
 * before it is used (a signed event is not a well-formed one).
 */
export interface PaypalEvent {
  id: string;
  eventType: string;
  /** When PayPal made the event (a subscription's lifecycle orders changes by it). */
  createTime?: string | null;
  resource: Record<string, unknown>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

export function checkPaypalEvent(value: unknown): { ok: true; event: PaypalEvent } | { ok: false; param: string; message: string } {
  if (!isObject(value)) return { ok: false, param: 'body', message: 'the body is not a JSON object' };
  const id = text(value.id);
  if (!id || id.length > 100) return { ok: false, param: 'id', message: 'id is not an event id' };
  const eventType = text(value.event_type);
  if (!eventType || eventType.length > 100) return { ok: false, param: 'event_type', message: 'event_type is missing' };
  if (!isObject(value.resource)) return { ok: false, param: 'resource', message: 'resource is not an object' };
  return { ok: true, event: { id, eventType, createTime: text(value.create_time), resource: value.resource } };
}

const amountOf = (value: unknown) => {
  if (!isObject(value)) return { currency: null, minor: null };
  const currency = text(value.currency_code)?.toUpperCase() ?? null;
  return { currency, minor: currency ? minorUnits(text(value.value) ?? undefined, currency) : null };
};

/** A PAYMENT.CAPTURE.* resource: the capture and the order it belongs to. */
export function captureOf(resource: Record<string, unknown>): { capture: PaypalCapture; orderId: string | null } | null {
  const id = text(resource.id);
  const status = text(resource.status);
  if (!id || !status) return null;
  const amount = amountOf(resource.amount);
  const details = isObject(resource.status_details) ? resource.status_details : {};
  const related =
    isObject(resource.supplementary_data) && isObject(resource.supplementary_data.related_ids)
      ? resource.supplementary_data.related_ids
      : {};
  return {
    capture: {
      id,
      status,
      reason: text(details.reason),
      amountMinor: amount.minor,
      currency: amount.currency,
      customId: text(resource.custom_id),
      invoiceId: text(resource.invoice_id),
    },
    orderId: text(related.order_id),
  };
}

/**
 * A PAYMENT.CAPTURE.REFUNDED / REVERSED resource (a refund): its capture, PayPal's running refunded
 * total, its status (and why it waits or failed) and the custom_id our refunds send (our refund id).
 */
export function refundOf(resource: Record<string, unknown>): {
  refundId: string;
  captureId: string | null;
  totalMinor: number | null;
  currency: string | null;
  status: string | null;
  reason: string | null;
  customId: string | null;
} | null {
  const refundId = text(resource.id);
  if (!refundId) return null;
  const links = Array.isArray(resource.links) ? resource.links.filter(isObject) : [];
  const up = links.find((l) => l.rel === 'up');
  const captureId = text(up?.href)?.match(/\/v2\/payments\/captures\/([A-Za-z0-9]+)$/)?.[1] ?? null;
  const breakdown = isObject(resource.seller_payable_breakdown) ? resource.seller_payable_breakdown : {};
  // The refunded total so far when PayPal gives it; otherwise this refund's own amount.
  const total = amountOf(breakdown.total_refunded_amount ?? resource.amount);
  const details = isObject(resource.status_details) ? resource.status_details : {};
  return {
    refundId,
    captureId,
    totalMinor: total.minor,
    currency: total.currency,
    status: text(resource.status),
    reason: text(details.reason),
    customId: text(resource.custom_id),
  };
}

/** A CUSTOMER.DISPUTE.* resource: the dispute, the capture it is about, its state. */
export function disputeOf(resource: Record<string, unknown>) {
  const disputeId = text(resource.dispute_id);
  if (!disputeId) return null;
  const transactions = Array.isArray(resource.disputed_transactions) ? resource.disputed_transactions.filter(isObject) : [];
  const outcome = isObject(resource.dispute_outcome) ? text(resource.dispute_outcome.outcome_code) : null;
  const refunded = isObject(resource.dispute_outcome) ? amountOf(resource.dispute_outcome.amount_refunded) : null;
  const amount = amountOf(resource.dispute_amount);
  return {
    disputeId,
    captureId: text(transactions[0]?.seller_transaction_id),
    status: text(resource.status) ?? 'OPEN',
    outcome,
    reason: text(resource.reason),
    amountMinor: amount.minor,
    currency: amount.currency,
    /** PayPal gave the buyer money back on closing it (the seller accepted the claim, or an amount refunded). */
    fundsMoved: outcome === 'ACCEPTED' || (refunded?.minor ?? 0) > 0,
  };
}

/**
 * A PAYMENT.SALE.REFUNDED / REVERSED resource (a v1 refund of a subscription's sale): the sale,
 * PayPal's refunded total on it when given (total_refunded_amount), else this refund's amount
 * (v1 amounts are `{total, currency}`, a reversal's written negative).
 */
export function saleRefundOf(resource: Record<string, unknown>) {
  const refundId = text(resource.id);
  const links = Array.isArray(resource.links) ? resource.links.filter(isObject) : [];
  const saleLink = text(links.find((l) => l.rel === 'sale')?.href);
  const saleId = text(resource.sale_id) ?? saleLink?.match(/\/v1\/payments\/sale\/([A-Za-z0-9]+)$/)?.[1] ?? null;
  if (!refundId || !saleId) return null;
  const total = amountOf(resource.total_refunded_amount);
  if (total.minor !== null && total.currency)
    return { refundId, saleId, kind: 'total' as const, cents: total.minor, currency: total.currency };
  const amount = isObject(resource.amount) ? resource.amount : {};
  const currency = text(amount.currency)?.toUpperCase() ?? null;
  const cents = currency ? minorUnits(text(amount.total)?.replace(/^-/, '') ?? undefined, currency) : null;
  if (!currency || cents === null) return null;
  return { refundId, saleId, kind: 'this_refund' as const, cents, currency };
}
