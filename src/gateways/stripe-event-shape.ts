import type Stripe from 'stripe';
import { z } from 'zod';

/**
 * The shape of a Stripe event, checked after its signature and before anything is stored: a
 * signed event still comes from outside. Only what we read is checked (extra fields pass), and
 * a missing or wrong-typed one is the sender's error, never a 500.
 */
const id = z.string().min(1).max(255);
const ref = z.union([id, z.looseObject({ id })]).nullish();
const metadata = z.record(z.string(), z.string()).nullish();
const amount = z.number().int().nonnegative();
const currency = z.string().regex(/^[A-Za-z]{3}$/, 'a three-letter ISO currency code');
const timestamp = z.number().int().nonnegative();
/** A Stripe list ({ data: [...] }), when present. */
const list = (item: z.ZodType) => z.looseObject({ data: z.array(item) }).nullish();

const checkoutSession = z.looseObject({
  id,
  mode: z.string().nullish(),
  payment_status: z.string(),
  amount_total: amount.nullish(),
  currency: currency.nullish(),
  client_reference_id: z.string().nullish(),
  metadata,
  payment_intent: ref,
  invoice: ref,
  subscription: ref,
  customer: ref,
});

const charge = z.looseObject({
  refunded: z.boolean(),
  amount_refunded: amount,
  amount: amount.optional(),
  currency: currency.optional(),
  payment_intent: ref,
  metadata,
});

/** A Stripe Refund (charge.refund.updated, refund.updated, refund.failed): whose it is and what became of it. */
const refund = z.looseObject({
  id,
  status: z.string().nullish(),
  amount: amount.optional(),
  currency: currency.optional(),
  payment_intent: ref,
  metadata,
  failure_reason: z.string().nullish(),
});

const dispute = z.looseObject({ amount: amount.optional(), currency: currency.optional(), payment_intent: ref, metadata });

const invoice = z.looseObject({
  id: id.nullish(),
  status: z.string().nullish(),
  currency,
  amount_paid: amount,
  billing_reason: z.string().nullish(),
  customer: ref,
  parent: z.looseObject({ subscription_details: z.looseObject({ subscription: ref, metadata }).nullish() }).nullish(),
  lines: list(z.looseObject({ period: z.looseObject({ start: timestamp, end: timestamp }).nullish() })),
  payments: list(z.looseObject({ payment: z.looseObject({ payment_intent: ref }).nullish() })),
  status_transitions: z.looseObject({ paid_at: timestamp.nullish() }).nullish(),
});

const subscription = z.looseObject({
  id,
  status: z.string(),
  customer: ref,
  metadata,
  cancel_at_period_end: z.boolean(),
  items: list(z.looseObject({ current_period_start: timestamp, current_period_end: timestamp })),
  // Read as an invoice when expanded.
  latest_invoice: z.union([id, invoice]).nullish(),
});

/** The objects of the event types we act on; other types only need the envelope. */
const OBJECTS: Record<string, z.ZodType> = {
  'checkout.session.completed': checkoutSession,
  'checkout.session.async_payment_succeeded': checkoutSession,
  'charge.refunded': charge,
  'charge.refund.updated': refund,
  'refund.updated': refund,
  'refund.failed': refund,
  'charge.dispute.created': dispute,
  'invoice.paid': invoice,
  'invoice.payment_failed': invoice,
  'customer.subscription.created': subscription,
  'customer.subscription.updated': subscription,
  'customer.subscription.deleted': subscription,
};
/** Subscription news is ordered by when Stripe made it. */
const NEEDS_CREATED = new Set(Object.keys(OBJECTS).filter((type) => /^(invoice|customer\.subscription)\./.test(type)));

const envelope = z.looseObject({
  id,
  type: z.string().min(1).max(255),
  livemode: z.boolean(),
  created: timestamp.optional(),
  data: z.looseObject({ object: z.looseObject({}) }),
});

export type StripeEventCheck = { ok: true; event: Stripe.Event } | { ok: false; param: string; message: string };

function failure(error: z.ZodError, prefix: string): StripeEventCheck {
  const issue = error.issues[0]!;
  const param = [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || 'event';
  return { ok: false, param, message: `${param}: ${issue.message}` };
}

export function checkStripeEvent(raw: unknown): StripeEventCheck {
  const parsed = envelope.safeParse(raw);
  if (!parsed.success) return failure(parsed.error, '');
  const event = parsed.data;
  if (NEEDS_CREATED.has(event.type) && event.created === undefined) {
    return { ok: false, param: 'created', message: `created: required for ${event.type}` };
  }
  const shape = OBJECTS[event.type];
  if (shape) {
    const object = shape.safeParse(event.data.object);
    if (!object.success) return failure(object.error, 'data.object');
  }
  return { ok: true, event: raw as Stripe.Event };
}
