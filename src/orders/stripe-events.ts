import type Stripe from 'stripe';
import { reviewPartiallyRefundedReferral } from '../affiliates/referrals';
import { sql } from 'kysely';
import type { Db, DbExecutor } from '../db/schema';
import type { InvoiceStatus } from '../domain/invoice-status';
import { recordEvent } from '../events/record';
import { applyStripeSubscriptionEvent } from '../subscriptions/stripe-subscription-events';
import { transitionInvoice } from './invoice-transitions';

export interface StripeEventOutcome {
  duplicate: boolean;
  invoiceId: number | null;
  /** The subscription the event concerns: its workflow re-reads its record. */
  subscriptionId: number | null;
  /** The invoice to signal as paid (its status is PAID). */
  paid: { id: number; store_id: number; expires_at: Date; status: string } | null;
}

async function invoiceByPaymentIntent(db: DbExecutor, storeId: number, paymentIntent: string | null | undefined, metadataId: string | undefined) {
  if (metadataId && /^\d+$/.test(metadataId)) {
    const byId = await db.selectFrom('invoices').select(['id', 'store_id', 'expires_at', 'status']).where('id', '=', Number(metadataId)).where('store_id', '=', storeId).executeTakeFirst();
    if (byId) return byId;
  }
  if (!paymentIntent) return undefined;
  return db
    .selectFrom('invoices')
    .select(['id', 'store_id', 'expires_at', 'status'])
    .where('store_id', '=', storeId)
    .where(sql<string>`gateway->'data'->>'transaction_id'`, '=', paymentIntent)
    .executeTakeFirst();
}

const idOf = (value: string | { id: string } | null | undefined) => (typeof value === 'string' ? value : (value?.id ?? null));

type InvoiceRef = NonNullable<Awaited<ReturnType<typeof invoiceByPaymentIntent>>>;

/** The payment for an invoice arrived: PAID once, or flagged when the invoice had been voided. */
async function payInvoice(trx: DbExecutor, invoice: InvoiceRef, transactionId: string, duplicate: boolean, livemode: boolean): Promise<StripeEventOutcome['paid']> {
  if (!duplicate) {
    await trx.updateTable('invoices').set({ gateway: sql`jsonb_set(gateway, '{data,transaction_id}', to_jsonb(${transactionId}::text))` }).where('id', '=', invoice.id).execute();
  }
  const result = await transitionInvoice(trx, invoice.id, 'PAID', { event: 'order.paid', quiet: true, also: { paid_at: new Date() } });
  if (result.status === 'PAID') return { ...invoice, status: result.status };
  if (!duplicate && (result.status as InvoiceStatus) === 'VOIDED') {
    // Money arrived for an invoice that had expired: a person must decide (refund or deliver).
    await trx.updateTable('invoices').set({ needs_attention: true, updated_at: new Date() }).where('id', '=', invoice.id).execute();
    await recordEvent(trx, { storeId: invoice.store_id, livemode, type: 'delivery.needs_attention', data: { id: invoice.id, reason: 'paid after the invoice was voided' } });
  }
  return null;
}

async function subscriptionOfEvent(trx: DbExecutor, eventId: string): Promise<number | null> {
  const row = await trx.selectFrom('gateway_events').select('subscription_id').where('provider', '=', 'stripe').where('event_id', '=', eventId).executeTakeFirst();
  return row?.subscription_id ?? null;
}

/**
 * Applies one verified Stripe event, once: the event id is recorded with the change, so a
 * redelivery changes nothing (a payment is still re-signalled, which is harmless).
 */
export async function applyStripeEvent(db: Db, storeId: number, event: Stripe.Event): Promise<StripeEventOutcome> {
  return db.transaction().execute(async (trx) => {
    const fresh = await trx
      .insertInto('gateway_events')
      .values({ provider: 'stripe', event_id: event.id, store_id: storeId, type: event.type, invoice_id: null })
      .onConflict((oc) => oc.constraint('gateway_events_provider_event_uq').doNothing())
      .returning('id')
      .executeTakeFirst();
    const duplicate = fresh === undefined;
    const outcome: StripeEventOutcome = { duplicate, invoiceId: null, subscriptionId: null, paid: null };

    switch (event.type) {
      case 'checkout.session.completed':
      case 'checkout.session.async_payment_succeeded': {
        const session = event.data.object;
        if (session.payment_status !== 'paid' && session.payment_status !== 'no_payment_required') break;
        const invoice = await invoiceByPaymentIntent(trx, storeId, null, session.client_reference_id ?? session.metadata?.invoice_id);
        if (!invoice) break;
        outcome.invoiceId = invoice.id;
        outcome.paid = await payInvoice(trx, invoice, idOf(session.payment_intent) ?? idOf(session.invoice) ?? session.id, duplicate, event.livemode);
        break;
      }
      case 'charge.refunded': {
        const charge = event.data.object;
        const invoice = await invoiceByPaymentIntent(trx, storeId, idOf(charge.payment_intent), charge.metadata?.invoice_id);
        if (!invoice) break;
        outcome.invoiceId = invoice.id;
        if (charge.refunded) await transitionInvoice(trx, invoice.id, 'REFUNDED', { event: 'order.refunded', quiet: true });
        else if (!duplicate) {
          await recordEvent(trx, { storeId, livemode: event.livemode, type: 'order.refunded', data: { id: invoice.id, partial: true, amount_refunded: charge.amount_refunded } });
          // Part of the money went back: the seller decides what the affiliate keeps.
          await reviewPartiallyRefundedReferral(trx, invoice.id, charge.amount_refunded);
        }
        break;
      }
      case 'charge.dispute.created': {
        const dispute = event.data.object;
        const invoice = await invoiceByPaymentIntent(trx, storeId, idOf(dispute.payment_intent), dispute.metadata?.invoice_id);
        if (!invoice) break;
        outcome.invoiceId = invoice.id;
        await transitionInvoice(trx, invoice.id, 'DISPUTING', { event: 'order.disputed', quiet: true });
        break;
      }
      default:
        break;
    }
    if (!duplicate) {
      const subscription = await applyStripeSubscriptionEvent(trx, storeId, event);
      outcome.subscriptionId = subscription.subscriptionId;
      if (subscription.paysInvoiceId && !outcome.invoiceId) {
        const invoice = await invoiceByPaymentIntent(trx, storeId, null, String(subscription.paysInvoiceId));
        if (invoice) {
          outcome.invoiceId = invoice.id;
          outcome.paid = await payInvoice(trx, invoice, (event.data.object as Stripe.Invoice).id ?? event.id, duplicate, event.livemode);
        }
      }
    } else {
      // A redelivery changes nothing, but the subscription's workflow may still be woken.
      outcome.subscriptionId = await subscriptionOfEvent(trx, event.id);
    }
    if (!duplicate && (outcome.invoiceId || outcome.subscriptionId)) {
      await trx.updateTable('gateway_events').set({ invoice_id: outcome.invoiceId, subscription_id: outcome.subscriptionId }).where('id', '=', fresh!.id).execute();
    }
    return outcome;
  });
}
