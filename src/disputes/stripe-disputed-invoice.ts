import { sql } from 'kysely';
import type Stripe from 'stripe';
import type { DbExecutor } from '../db/schema';
import type { StripeGateway } from '../gateways/stripe-gateway';
import type { SecretBox } from '../security/secret-box';
import { StripeNotConfiguredError, stripeSecretKey } from '../subscriptions/stripe-key';

const DISPUTE_EVENTS = new Set(['charge.dispute.created', 'charge.dispute.updated', 'charge.dispute.closed']);

/**
 * The Stripe invoice a disputed PaymentIntent paid, when no order of ours records that
 * PaymentIntent: a subscription's order records the first Stripe invoice instead (its Checkout
 * Session names no PaymentIntent), and the dispute names only the PaymentIntent. Asked of Stripe
 * before the event's transaction; null when the order is found without it, or Stripe knows none.
 */
export async function stripeInvoiceOfDispute(
  db: DbExecutor,
  secrets: SecretBox,
  stripe: StripeGateway,
  storeId: number,
  event: Stripe.Event,
): Promise<string | null> {
  if (!DISPUTE_EVENTS.has(event.type)) return null;
  const dispute = event.data.object as Stripe.Dispute;
  const intent = typeof dispute.payment_intent === 'string' ? dispute.payment_intent : (dispute.payment_intent?.id ?? null);
  if (!intent || dispute.metadata?.invoice_id) return null;
  const known = await db
    .selectFrom('invoices')
    .select('id')
    .where('store_id', '=', storeId)
    .where(sql<string>`gateway->'data'->>'transaction_id'`, '=', intent)
    .executeTakeFirst();
  if (known) return null;
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
