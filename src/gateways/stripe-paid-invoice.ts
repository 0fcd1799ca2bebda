import { sql } from 'kysely';
import type Stripe from 'stripe';
import type { DbExecutor } from '../db/schema';
import type { SecretBox } from '../security/secret-box';
import { StripeNotConfiguredError, stripeSecretKey } from '../subscriptions/stripe-key';
import type { StripeGateway } from './stripe-gateway';

const DISPUTE_EVENTS = new Set(['charge.dispute.created', 'charge.dispute.updated', 'charge.dispute.closed']);

const idOf = (value: string | { id: string } | null | undefined) => (typeof value === 'string' ? value : (value?.id ?? null));

/** The PaymentIntent a dispute or refund event is about, unless its metadata names our invoice. */
function paymentIntentOf(event: Stripe.Event): string | null {
  if (DISPUTE_EVENTS.has(event.type)) {
    const dispute = event.data.object as Stripe.Dispute;
    return dispute.metadata?.invoice_id ? null : idOf(dispute.payment_intent);
  }
  if (event.type === 'charge.refunded') {
    const charge = event.data.object as Stripe.Charge;
    return charge.metadata?.invoice_id ? null : idOf(charge.payment_intent);
  }
  return null;
}

/**
 * The Stripe invoice a disputed or refunded PaymentIntent paid, when nothing of ours records that
 * PaymentIntent: a subscription's order records its first Stripe invoice (its Checkout Session
 * names no PaymentIntent), a subscription's payment its Stripe invoice (invoice.paid does not
 * always carry the PaymentIntent), and the dispute or charge names only the PaymentIntent. Asked
 * of Stripe before the event's transaction; null when it is found without, or Stripe knows none.
 */
export async function stripeInvoicePaidByEventPayment(
  db: DbExecutor,
  secrets: SecretBox,
  stripe: StripeGateway,
  storeId: number,
  event: Stripe.Event,
): Promise<string | null> {
  const intent = paymentIntentOf(event);
  if (!intent) return null;
  const known = await db
    .selectFrom('invoices')
    .select('id')
    .where('store_id', '=', storeId)
    .where(sql<string>`gateway->'data'->>'transaction_id'`, '=', intent)
    .executeTakeFirst();
  if (known) return null;
  const payment = await db
    .selectFrom('subscription_payments as p')
    .innerJoin('subscriptions as s', 's.id', 'p.subscription_id')
    .select('p.id')
    .where('s.store_id', '=', storeId)
    .where('p.provider_payment_intent_id', '=', intent)
    .executeTakeFirst();
  if (payment) return null;
  let key: string;
  try {
    key = await stripeSecretKey(db, secrets, storeId, event.livemode);
  } catch (error) {
    // No key for the event's mode: no order of that mode was paid through Stripe to find.
    if (error instanceof StripeNotConfiguredError) return null;
    throw error;
  }
  return stripe.invoicePaidBy(key, intent);
}
