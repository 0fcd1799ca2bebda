import type Stripe from 'stripe';
import { sql } from 'kysely';
import type { Db, DbExecutor } from '../db/schema';
import type { InvoiceStatus } from '../domain/invoice-status';
import { recordEvent } from '../events/record';
import { transitionInvoice } from './invoice-transitions';

export interface StripeEventOutcome {
  duplicate: boolean;
  invoiceId: number | null;
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
    const outcome: StripeEventOutcome = { duplicate, invoiceId: null, paid: null };

    switch (event.type) {
      case 'checkout.session.completed':
      case 'checkout.session.async_payment_succeeded': {
        const session = event.data.object;
        if (session.payment_status !== 'paid' && session.payment_status !== 'no_payment_required') break;
        const invoice = await invoiceByPaymentIntent(trx, storeId, null, session.client_reference_id ?? session.metadata?.invoice_id);
        if (!invoice) break;
        outcome.invoiceId = invoice.id;
        if (!duplicate) {
          await trx
            .updateTable('invoices')
            .set({ gateway: sql`jsonb_set(gateway, '{data,transaction_id}', to_jsonb(${idOf(session.payment_intent) ?? session.id}::text))` })
            .where('id', '=', invoice.id)
            .execute();
        }
        const result = await transitionInvoice(trx, invoice.id, 'PAID', { event: 'order.paid', quiet: true, also: { paid_at: new Date() } });
        if (result.status === 'PAID') outcome.paid = { ...invoice, status: result.status };
        else if (!duplicate && (result.status as InvoiceStatus) === 'VOIDED') {
          // Money arrived for an invoice that had expired: a person must decide (refund or deliver).
          await trx.updateTable('invoices').set({ needs_attention: true, updated_at: new Date() }).where('id', '=', invoice.id).execute();
          await recordEvent(trx, { storeId, livemode: event.livemode, type: 'delivery.needs_attention', data: { id: invoice.id, reason: 'paid after the invoice was voided' } });
        }
        break;
      }
      case 'charge.refunded': {
        const charge = event.data.object;
        const invoice = await invoiceByPaymentIntent(trx, storeId, idOf(charge.payment_intent), charge.metadata?.invoice_id);
        if (!invoice) break;
        outcome.invoiceId = invoice.id;
        if (charge.refunded) await transitionInvoice(trx, invoice.id, 'REFUNDED', { event: 'order.refunded', quiet: true });
        else if (!duplicate) await recordEvent(trx, { storeId, livemode: event.livemode, type: 'order.refunded', data: { id: invoice.id, partial: true, amount_refunded: charge.amount_refunded } });
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
    if (!duplicate && outcome.invoiceId) await trx.updateTable('gateway_events').set({ invoice_id: outcome.invoiceId }).where('id', '=', fresh!.id).execute();
    return outcome;
  });
}
