import type Stripe from 'stripe';
import { noticeRenewalPaid } from '../orders/buyer-notices';
import type { DbExecutor } from '../db/schema';
import type { ProviderChange } from '../domain/subscription-lifecycle';
import { type ProviderInvoice, providerInvoiceOf, providerSubscriptionOf } from '../gateways/stripe-gateway';
import { lockInvoiceOfSubscription } from './lock-order';
import { applyToSubscription, ensureSubscription, recordSubscriptionPayment, subscriptionByProviderId } from './subscription-records';

const idOf = (value: string | { id: string } | null | undefined) => (typeof value === 'string' ? value : (value?.id ?? null));
const fromUnix = (seconds: number) => new Date(seconds * 1000);
const PAYABLE = new Set(['active', 'trialing', 'past_due']);

/** The first payment of a subscription, which pays its invoice once matched to it (like Checkout's). */
export interface SubscriptionFirstPayment {
  invoiceId: number;
  /** The Stripe subscription: the same payment as the Checkout Session that started it. */
  reference: string;
  amountCents: number;
  currency: string;
  transactionId: string;
}

export interface SubscriptionEventOutcome {
  subscriptionId: number | null;
  pays: SubscriptionFirstPayment | null;
}

/**
 * Our subscription behind a Stripe subscription id. One we have not seen yet is created
 * from the invoice named in the metadata Checkout put on it, when that invoice is this store's.
 */
async function resolve(
  trx: DbExecutor,
  storeId: number,
  providerSubscriptionId: string | null,
  customerId: string | null,
  metadata: Stripe.Metadata | null | undefined,
) {
  if (!providerSubscriptionId) return null;
  const known = await subscriptionByProviderId(trx, storeId, 'stripe', providerSubscriptionId);
  if (known) return known.id;
  const invoiceId = metadata?.invoice_id;
  // Invoice ids are int4: anything else names no invoice (and must not reach the query).
  const validId = invoiceId !== undefined && /^\d{1,10}$/.test(invoiceId) && Number(invoiceId) <= 2_147_483_647;
  if (!validId || metadata?.store_id !== String(storeId)) return null;
  const created = await ensureSubscription(trx, {
    storeId,
    invoiceId: Number(invoiceId),
    provider: 'stripe',
    providerSubscriptionId,
    providerCustomerId: customerId,
  });
  return created?.id ?? null;
}

/** A paid renewal: recorded once (for refunds), and the period moves to the one it paid. */
export async function recordRenewal(trx: DbExecutor, subscriptionId: number, billed: ProviderInvoice & { paidAt: Date }): Promise<void> {
  if (!billed.periodStart || !billed.periodEnd) return;
  // The row lock before the payment row: inserting it first would hold the subscription's key-share
  // lock and then ask for more, which two deliveries at once (or planning) turn into a deadlock.
  await trx.selectFrom('subscriptions').select('id').where('id', '=', subscriptionId).forUpdate().execute();
  const recorded = await recordSubscriptionPayment(trx, subscriptionId, {
    providerInvoiceId: billed.id,
    paymentIntentId: billed.paymentIntentId,
    amountCents: billed.amountPaidCents,
    currency: billed.currency,
    periodStart: billed.periodStart,
    periodEnd: billed.periodEnd,
    paidAt: billed.paidAt,
  });
  await applyToSubscription(trx, subscriptionId, { kind: 'paid', periodStart: billed.periodStart, periodEnd: billed.periodEnd });
  // A redelivered event finds its payment recorded: one receipt per renewal.
  if (recorded) await noticeRenewalPaid(trx, subscriptionId, billed.id);
}

/**
 * Stripe's subscription events, in our terms. Redeliveries and reordering are safe: the
 * lifecycle rules only ever move to a later absolute period and never out of an end.
 */
export async function applyStripeSubscriptionEvent(
  trx: DbExecutor,
  storeId: number,
  event: Stripe.Event,
  /** For Checkout events: the invoice whose own Checkout Session paid (null when it did not match). */
  checkout: { invoiceId: number | null } = { invoiceId: null },
): Promise<SubscriptionEventOutcome> {
  const none: SubscriptionEventOutcome = { subscriptionId: null, pays: null };
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded': {
      const session = event.data.object;
      // Only the session our checkout opened, matched to its invoice, starts a subscription for it:
      // a client_reference_id is whatever the buyer's link said.
      if (session.mode !== 'subscription' || checkout.invoiceId === null) return none;
      const ours = { store_id: String(storeId), invoice_id: String(checkout.invoiceId) };
      const id = await resolve(trx, storeId, idOf(session.subscription), idOf(session.customer), ours);
      return { subscriptionId: id, pays: null };
    }
    case 'invoice.paid':
    case 'invoice.payment_failed': {
      const invoice = event.data.object;
      const details = invoice.parent?.subscription_details;
      const billed = providerInvoiceOf(invoice);
      // Prorations and one-off invoices neither renew nor fail a period.
      if (!billed.renews) return none;
      const id = await resolve(trx, storeId, idOf(details?.subscription), idOf(invoice.customer), details?.metadata);
      if (!id) return none;
      const at = fromUnix(event.created);
      if (event.type === 'invoice.payment_failed') {
        await applyToSubscription(trx, id, { kind: 'payment_failed', periodEnd: billed.periodEnd, at });
        return { subscriptionId: id, pays: null };
      }
      if (!billed.periodStart || !billed.periodEnd || !billed.id) return { subscriptionId: id, pays: null };
      // The first payment settles the invoice after this: its lock comes before the subscription's.
      if (invoice.billing_reason === 'subscription_create') await lockInvoiceOfSubscription(trx, id);
      await recordRenewal(trx, id, { ...billed, paidAt: billed.paidAt ?? at });
      if (invoice.billing_reason !== 'subscription_create') return { subscriptionId: id, pays: null };
      const sub = await trx
        .selectFrom('subscriptions')
        .select(['invoice_id', 'provider_subscription_id'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      const pays = {
        invoiceId: sub.invoice_id,
        reference: sub.provider_subscription_id,
        amountCents: billed.amountPaidCents,
        currency: billed.currency,
        transactionId: billed.id,
      };
      return { subscriptionId: id, pays };
    }
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted': {
      const subscription = event.data.object;
      // An incomplete subscription is not paid yet: it is created by its first payment instead.
      const known = await subscriptionByProviderId(trx, storeId, 'stripe', subscription.id);
      const id = known
        ? known.id
        : PAYABLE.has(subscription.status)
          ? await resolve(trx, storeId, subscription.id, idOf(subscription.customer), subscription.metadata)
          : null;
      if (!id) return none;
      const at = fromUnix(event.created);
      const provider = providerSubscriptionOf(subscription);
      const change: ProviderChange =
        event.type === 'customer.subscription.deleted'
          ? { kind: 'deleted', at }
          : {
              kind: 'updated',
              providerStatus: provider.status,
              periodStart: provider.periodStart,
              periodEnd: provider.periodEnd,
              cancelAtPeriodEnd: provider.cancelAtPeriodEnd,
              at,
            };
      await applyToSubscription(trx, id, change);
      return { subscriptionId: id, pays: null };
    }
    default:
      return none;
  }
}
