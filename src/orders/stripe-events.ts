import type Stripe from 'stripe';
import { sql } from 'kysely';
import type { Db, DbExecutor, DbTransaction } from '../db/schema';
import type { InvoiceStatus } from '../domain/invoice-status';
import { type ArrivedPayment, matchPayment } from '../domain/payment-match';
import { applyGatewayEventOnce, type LoggedGatewayEvent } from '../gateways/gateway-event-log';
import { recordIntent } from '../outbox/record-intent';
import { applyRenewalDispute } from '../disputes/renewal-dispute';
import { applyStripeDispute, reportedStripeDispute } from '../disputes/stripe-disputes';
import { applyDashboardRefund } from '../refunds/reported-refund';
import { recordStripeReportedRefund } from '../refunds/stripe-reported-refund';
import { applyStripeRefundUpdate } from '../refunds/stripe-refund-update';
import { recordSubscriptionPaymentRefund } from '../refunds/subscription-payment-refund';
import { applyStripeSubscriptionEvent } from '../subscriptions/stripe-subscription-events';
import { transitionInvoice } from './invoice-transitions';
import { flagPaymentIssue } from './payment-attention';
import { checkoutSessionsOf, paidByOf, recordStripePayment, type StripeGatewayRecord } from './stripe-checkout-record';

/** What an event did: kept on its gateway_events row, with the reason when it paid nothing. */
export type StripeEventResult =
  'paid' | 'same_payment' | 'partial' | 'mismatch' | 'refunded' | 'refund_failed' | 'disputed' | 'unmatched' | 'ignored';

export interface StripeEventOutcome {
  duplicate: boolean;
  invoiceId: number | null;
  /** The subscription the event concerns: its workflow re-reads its record. */
  subscriptionId: number | null;
  /** The invoice to signal as paid (its status is PAID). */
  paid: { id: number; store_id: number; expires_at: Date; status: string } | null;
  /** Engine intents recorded with the event, for the caller to deliver after commit. */
  intents: number[];
  result: StripeEventResult | null;
  reason: string | null;
}

const NOTHING = { invoiceId: null, subscriptionId: null, paid: null, result: null, reason: null } as const;

const INVOICE = ['id', 'store_id', 'expires_at', 'status', 'livemode', 'currency', 'total_cents', 'gateway'] as const;

const invoiceById = (db: DbExecutor, storeId: number, id: string | null | undefined) => {
  // Invoice ids are int4: anything else names no invoice (and must not reach the query).
  if (!id || !/^\d{1,10}$/.test(id) || Number(id) > 2_147_483_647) return undefined;
  return db.selectFrom('invoices').select(INVOICE).where('id', '=', Number(id)).where('store_id', '=', storeId).executeTakeFirst();
};

type InvoiceRow = NonNullable<Awaited<ReturnType<typeof invoiceById>>>;

/** The invoice a refund or dispute names (metadata), or whose payment it concerns. */
async function invoiceOfPayment(
  db: DbExecutor,
  storeId: number,
  paymentIntent: string | null,
  metadataId: string | undefined,
  paidStripeInvoice: string | null = null,
) {
  const named = await invoiceById(db, storeId, metadataId);
  if (named || !paymentIntent) return named;
  const paidBy = (transactionId: string) =>
    db
      .selectFrom('invoices')
      .select(INVOICE)
      .where('store_id', '=', storeId)
      .where(sql<string>`gateway->'data'->>'transaction_id'`, '=', transactionId)
      .executeTakeFirst();
  return (await paidBy(paymentIntent)) ?? (paidStripeInvoice ? paidBy(paidStripeInvoice) : undefined);
}

/**
 * The invoice a Checkout Session pays: the one whose checkout created it. The invoice the event
 * names (client_reference_id, metadata) is only believed when that session is its own; otherwise
 * it is the invoice to flag, since a buyer can put any id on a payment link.
 */
async function invoiceOfSession(
  db: DbExecutor,
  storeId: number,
  session: Stripe.Checkout.Session,
): Promise<{ invoice: InvoiceRow; ours: boolean } | null> {
  const named = await invoiceById(db, storeId, session.client_reference_id ?? session.metadata?.invoice_id);
  if (named && checkoutSessionsOf(named.gateway).includes(session.id)) return { invoice: named, ours: true };
  const owner = await db
    .selectFrom('invoices')
    .select(INVOICE)
    .where('store_id', '=', storeId)
    .where(sql<boolean>`gateway->'checkout_sessions' @> ${JSON.stringify([session.id])}::jsonb`)
    .orderBy('id')
    .executeTakeFirst();
  if (owner) return { invoice: owner, ours: true };
  return named ? { invoice: named, ours: false } : null;
}

const idOf = (value: string | { id: string } | null | undefined) => (typeof value === 'string' ? value : (value?.id ?? null));

interface Settlement {
  arrived: ArrivedPayment;
  /** Shown as the invoice's transaction id once paid. */
  transactionId: string;
}

/**
 * Money arrived for an invoice: matched first (mode, our session, currency, amount, status),
 * under the invoice's row lock. Only a match pays it, once; anything else is flagged for ops.
 */
async function settle(trx: DbExecutor, event: Stripe.Event, invoiceId: number, settlement: Settlement, outcome: StripeEventOutcome) {
  const invoice = await trx.selectFrom('invoices').select(INVOICE).where('id', '=', invoiceId).forUpdate().executeTakeFirstOrThrow();
  const { arrived } = settlement;
  const expected = {
    livemode: invoice.livemode,
    currency: invoice.currency,
    totalCents: invoice.total_cents,
    status: invoice.status as InvoiceStatus,
    paidBy: paidByOf(invoice.gateway),
  };
  const verdict = matchPayment(expected, arrived);
  outcome.invoiceId = invoice.id;
  const issue = {
    gateway: 'stripe',
    eventId: event.id,
    eventType: event.type,
    livemode: arrived.livemode,
    reference: arrived.source,
    amountCents: arrived.amountCents,
    currency: arrived.currency,
  };
  switch (verdict.kind) {
    case 'pay': {
      await recordStripePayment(trx, invoice.id, arrived.reference, settlement.transactionId);
      const result = await transitionInvoice(trx, invoice.id, 'PAID', { event: 'order.paid', quiet: true, also: { paid_at: new Date() } });
      outcome.result = 'paid';
      if (result.status === 'PAID') outcome.paid = { ...invoice, status: result.status };
      return;
    }
    case 'same_payment':
      outcome.result = 'same_payment';
      // The payment that paid it, reported again: the order hears of it again, harmlessly.
      if (invoice.status === 'PAID') outcome.paid = invoice;
      return;
    case 'partial':
      await transitionInvoice(trx, invoice.id, 'PARTIAL', { quiet: true });
      await flagPaymentIssue(trx, invoice.id, { ...issue, code: verdict.code, reason: verdict.reason });
      outcome.result = 'partial';
      outcome.reason = verdict.reason;
      return;
    case 'mismatch':
      await flagPaymentIssue(trx, invoice.id, { ...issue, code: verdict.code, reason: verdict.reason });
      outcome.result = 'mismatch';
      outcome.reason = verdict.reason;
      return;
  }
}

/** A refund or dispute of a payment that is not this invoice's (other mode, other payment) changes nothing. */
/** The invoice a refund or dispute is about, when it is ours and of the event's mode; otherwise why not goes on the outcome. */
async function paidInvoiceOf(
  trx: DbExecutor,
  storeId: number,
  event: Stripe.Event,
  paymentIntent: string | null,
  metadataId: string | undefined,
  outcome: StripeEventOutcome,
  paidStripeInvoice: string | null = null,
) {
  const invoice = await invoiceOfPayment(trx, storeId, paymentIntent, metadataId, paidStripeInvoice);
  if (!invoice) return null;
  outcome.invoiceId = invoice.id;
  const foreign = foreignPayment(event, invoice, paymentIntent, paidStripeInvoice);
  if (!foreign) return invoice;
  outcome.result = 'ignored';
  outcome.reason = foreign;
  return null;
}

function foreignPayment(
  event: Stripe.Event,
  invoice: InvoiceRow,
  paymentIntent: string | null,
  paidStripeInvoice: string | null,
): string | null {
  const mode = (livemode: boolean) => (livemode ? 'live' : 'test');
  if (event.livemode !== invoice.livemode) {
    return `a ${mode(event.livemode)}-mode ${event.type} for a ${mode(invoice.livemode)}-mode invoice`;
  }
  const paidWith = (invoice.gateway as StripeGatewayRecord).data?.transaction_id;
  // A subscription's order records the Stripe invoice its PaymentIntent paid.
  if (paymentIntent && paidWith && paymentIntent !== paidWith && paidWith !== paidStripeInvoice) {
    return `${event.type} concerns ${paymentIntent}, the invoice was paid with ${paidWith}`;
  }
  return null;
}

/**
 * A refund of a subscription's payment (its first or a renewal: the PaymentIntent we recorded for
 * it, or the Stripe invoice Stripe says it paid), recorded on that payment once; false when the
 * charge paid no subscription of ours.
 */
async function refundOfSubscriptionPayment(
  trx: DbExecutor,
  storeId: number,
  event: Stripe.Event,
  charge: Stripe.Charge,
  paidStripeInvoice: string | null,
  outcome: StripeEventOutcome,
): Promise<boolean> {
  const intent = idOf(charge.payment_intent);
  if (!intent) return false;
  const refunded = await recordSubscriptionPaymentRefund(trx, storeId, event.livemode, {
    provider: 'stripe',
    providerPaymentId: intent,
    providerInvoiceId: paidStripeInvoice,
    providerRefundId: charge.refunds?.data?.[0]?.id ?? null,
    currency: charge.currency,
    refunded: { kind: 'total', cents: charge.amount_refunded },
  });
  if (!refunded.matched) return false;
  outcome.invoiceId = refunded.invoiceId;
  outcome.subscriptionId = refunded.subscriptionId;
  outcome.result = refunded.livemode === event.livemode ? 'refunded' : 'ignored';
  outcome.reason = refunded.reason;
  return true;
}

/** Checkout, refund and dispute events; says which invoice a Checkout Session matched and paid (or had paid). */
async function applyInvoiceEvent(
  trx: DbTransaction,
  storeId: number,
  event: Stripe.Event,
  outcome: StripeEventOutcome,
  paidStripeInvoice: string | null,
) {
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded': {
      const session = event.data.object;
      if (session.payment_status !== 'paid' && session.payment_status !== 'no_payment_required') {
        outcome.result = 'ignored';
        outcome.reason = `payment_status ${session.payment_status}`;
        return { checkoutInvoiceId: null as number | null };
      }
      const found = await invoiceOfSession(trx, storeId, session);
      if (!found) {
        outcome.result = 'unmatched';
        return { checkoutInvoiceId: null };
      }
      // A subscription's first payment is also reported by invoice.paid: both are the subscription.
      const subscription = session.mode === 'subscription' ? idOf(session.subscription) : null;
      await settle(
        trx,
        event,
        found.invoice.id,
        {
          arrived: {
            livemode: event.livemode,
            ours: found.ours,
            reference: subscription ?? session.id,
            source: `Checkout Session ${session.id}`,
            currency: session.currency ?? null,
            amountCents: session.amount_total ?? null,
          },
          transactionId: idOf(session.payment_intent) ?? idOf(session.invoice) ?? session.id,
        },
        outcome,
      );
      const matched = outcome.result === 'paid' || outcome.result === 'same_payment';
      return { checkoutInvoiceId: matched ? found.invoice.id : null };
    }
    case 'charge.refunded': {
      const charge = event.data.object;
      if (await refundOfSubscriptionPayment(trx, storeId, event, charge, paidStripeInvoice, outcome)) break;
      const invoice = await paidInvoiceOf(trx, storeId, event, idOf(charge.payment_intent), charge.metadata?.invoice_id, outcome);
      if (!invoice) break;
      outcome.result = 'refunded';
      if ((await recordStripeReportedRefund(trx, invoice, charge, idOf(charge.payment_intent))) === 0) {
        outcome.reason = 'the refunds made through Sellflow account for it';
        break;
      }
      // order.refunded carries the money that went back (Stripe's amount_refunded: all refunds so far).
      await applyDashboardRefund(trx, invoice, {
        totalRefundedCents: charge.amount_refunded,
        currency: (charge.currency ?? invoice.currency).toUpperCase(),
        full: charge.refunded,
      });
      break;
    }
    case 'charge.refund.updated':
    case 'refund.updated':
    case 'refund.failed': {
      // Stripe's word on a refund it answered pending (or one that failed after succeeding).
      const update = await applyStripeRefundUpdate(trx, storeId, event, event.data.object);
      outcome.invoiceId = update.invoiceId;
      outcome.result = update.result;
      outcome.reason = update.reason;
      break;
    }
    case 'charge.dispute.created':
    case 'charge.dispute.updated':
    case 'charge.dispute.closed': {
      const dispute = event.data.object;
      const intent = idOf(dispute.payment_intent);
      const invoice = await paidInvoiceOf(trx, storeId, event, intent, dispute.metadata?.invoice_id, outcome, paidStripeInvoice);
      if (!invoice && outcome.result === null && intent) {
        // Only a subscription's first payment is its order's: a renewal's is its payment's.
        const renewal = await applyRenewalDispute(
          trx,
          storeId,
          event.livemode,
          [intent, ...(paidStripeInvoice ? [paidStripeInvoice] : [])],
          reportedStripeDispute(event, dispute),
        );
        if (!renewal.matched) break;
        outcome.invoiceId = renewal.invoiceId;
        outcome.subscriptionId = renewal.subscriptionId;
        outcome.result = renewal.livemode === event.livemode ? 'disputed' : 'ignored';
        outcome.reason = renewal.reason;
        break;
      }
      if (!invoice) break;
      outcome.result = 'disputed';
      await applyStripeDispute(trx, event, dispute, invoice);
      break;
    }
    default:
      break;
  }
  return { checkoutInvoiceId: null };
}

/** A redelivered event changes nothing; a payment it made is signalled again (harmless), its subscription woken. */
async function redelivered(trx: DbExecutor, logged: LoggedGatewayEvent, outcome: StripeEventOutcome): Promise<StripeEventOutcome> {
  outcome.invoiceId = logged.invoiceId;
  outcome.subscriptionId = logged.subscriptionId;
  outcome.result = logged.outcome as StripeEventResult | null;
  outcome.reason = logged.reason;
  if (logged.invoiceId !== null && (logged.outcome === 'paid' || logged.outcome === 'same_payment')) {
    const invoice = await trx
      .selectFrom('invoices')
      .select(['id', 'store_id', 'expires_at', 'status'])
      .where('id', '=', logged.invoiceId)
      .executeTakeFirst();
    if (invoice?.status === 'PAID') outcome.paid = invoice;
  }
  return outcome;
}

/**
 * Applies one verified Stripe event, once: the event id is recorded with the change and what it
 * did, so a redelivery changes nothing. Every payment is matched to its invoice before it pays.
 */
export async function applyStripeEvent(
  db: Db,
  storeId: number,
  event: Stripe.Event,
  /** For a dispute or refund: the Stripe invoice its PaymentIntent paid, asked of Stripe beforehand (stripe-paid-invoice.ts). */
  paidStripeInvoice: string | null = null,
): Promise<StripeEventOutcome> {
  return db.transaction().execute(async (trx) => {
    const outcome: StripeEventOutcome = { ...NOTHING, intents: [], duplicate: false };
    const once = await applyGatewayEventOnce(trx, { provider: 'stripe', eventId: event.id, storeId, type: event.type }, async () => {
      await applyEvent(trx, storeId, event, outcome, paidStripeInvoice);
      return { invoiceId: outcome.invoiceId, subscriptionId: outcome.subscriptionId, outcome: outcome.result, reason: outcome.reason };
    });
    if (once.duplicate) return oweEngine(trx, event, await redelivered(trx, once.logged, { ...outcome, duplicate: true }));
    return oweEngine(trx, event, outcome);
  });
}

/** What one fresh event changes: its invoice (checkout, refund, dispute), its subscription, a first payment. */
async function applyEvent(
  trx: DbTransaction,
  storeId: number,
  event: Stripe.Event,
  outcome: StripeEventOutcome,
  paidStripeInvoice: string | null,
) {
  const { checkoutInvoiceId } = await applyInvoiceEvent(trx, storeId, event, outcome, paidStripeInvoice);
  const subscription = await applyStripeSubscriptionEvent(trx, storeId, event, { invoiceId: checkoutInvoiceId });
  // A refund of a subscription's payment named its subscription already.
  outcome.subscriptionId = subscription.subscriptionId ?? outcome.subscriptionId;
  const pays = subscription.pays;
  if (pays && !outcome.invoiceId) {
    // Linked to the invoice through the subscription our checkout created (its metadata).
    const arrived = {
      livemode: event.livemode,
      ours: true,
      reference: pays.reference,
      source: `Stripe subscription ${pays.reference}`,
      currency: pays.currency,
      amountCents: pays.amountCents,
    };
    await settle(trx, event, pays.invoiceId, { arrived, transactionId: pays.transactionId }, outcome);
  }
}

/**
 * What the engine must hear of this event, owed in its own transaction (engine outbox). A
 * redelivery owes it again: the workflows take the same news twice as once.
 */
async function oweEngine(trx: DbExecutor, event: Stripe.Event, outcome: StripeEventOutcome): Promise<StripeEventOutcome> {
  if (outcome.paid) {
    outcome.intents.push(
      await recordIntent(trx, { kind: 'order.payment_received', subjectId: outcome.paid.id, detail: { source: `stripe:${event.id}` } }),
    );
  }
  if (outcome.subscriptionId) {
    outcome.intents.push(
      await recordIntent(trx, {
        kind: 'subscription.changed',
        subjectId: outcome.subscriptionId,
        detail: { reason: `stripe:${event.type}` },
      }),
    );
  }
  return outcome;
}
