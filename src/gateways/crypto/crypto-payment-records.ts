import type { Db, DbExecutor } from '../../db/schema';
import { type CryptoPaymentStatus, nextCryptoStep, tallyPayment } from '../../domain/crypto-payment';
import { recordEvent } from '../../events/record';
import { transitionInvoice } from '../../orders/invoice-transitions';
import { chainWatcherFor, type CryptoSettings } from './chain-access';
import type { PaymentObservation } from './chain-observation';
import type { CryptoMethod } from './coins';
import { refreshInvoiceGateway } from './crypto-payment-view';

/**
 * Invoices to a shared account address are told apart by amount: only a transfer of exactly
 * the invoice's amount, not already credited to another invoice, is this invoice's.
 */
async function matchByAmount(trx: DbExecutor, payment: { invoice_id: number; address: string; method: string; requested_units: string }, observations: PaymentObservation[]) {
  const claimed = await trx
    .selectFrom('crypto_payment_txs as t')
    .innerJoin('crypto_payments as p', 'p.invoice_id', 't.invoice_id')
    .select('t.txid')
    .where('p.address', '=', payment.address)
    .where('p.method', '=', payment.method)
    .where('p.invoice_id', '<>', payment.invoice_id)
    .where('t.txid', 'in', observations.length > 0 ? observations.map((o) => o.txid) : [''])
    .execute();
  const taken = new Set(claimed.map((c) => c.txid));
  const wanted = BigInt(payment.requested_units);
  return observations.filter((o) => o.amount === wanted && !taken.has(o.txid));
}

export interface ObservationOutcome {
  step: 'settle' | 'wait' | 'expire';
  status: CryptoPaymentStatus;
  /** Money first seen after the window closed. */
  lateUnits: string;
}

/**
 * One look at the chain for an invoice's address: every payment seen is recorded (with when we
 * first saw it), payments the chain no longer reports are marked dropped, and the tally says
 * what to do next. Safe to repeat: it only ever mirrors what the chain says now.
 */
export async function observeCryptoPayment(db: Db, settings: CryptoSettings, invoiceId: number, now = new Date()): Promise<ObservationOutcome> {
  const payment = await db.selectFrom('crypto_payments').selectAll().where('invoice_id', '=', invoiceId).executeTakeFirstOrThrow();
  const known = await db.selectFrom('crypto_payment_txs').selectAll().where('invoice_id', '=', invoiceId).execute();
  const watcher = chainWatcherFor(settings, payment.method as CryptoMethod);
  if (!watcher) throw new Error(`No chain watcher for ${payment.method}`);
  const result = await watcher.observe(payment.address, {
    cursor: payment.cursor,
    known: known.filter((k) => !k.dropped).map((k) => ({ txid: k.txid, amount: BigInt(k.amount_units), confirmations: k.confirmations, blockHeight: k.block_height })),
  });

  return db.transaction().execute(async (trx) => {
    await trx.selectFrom('crypto_payments').select('invoice_id').where('invoice_id', '=', invoiceId).forUpdate().executeTakeFirstOrThrow();
    const observations = payment.derivation_index === null ? await matchByAmount(trx, payment, result.observations) : result.observations;
    const seen = new Set(observations.map((o) => o.txid));
    for (const o of observations) {
      await trx
        .insertInto('crypto_payment_txs')
        .values({ invoice_id: invoiceId, txid: o.txid, amount_units: o.amount.toString(), confirmations: o.confirmations, block_height: o.blockHeight, first_seen_at: now })
        .onConflict((oc) => oc.columns(['invoice_id', 'txid']).doUpdateSet({ amount_units: o.amount.toString(), confirmations: o.confirmations, block_height: o.blockHeight, dropped: false, updated_at: now }))
        .execute();
    }
    const gone = known.filter((k) => !seen.has(k.txid) && !k.dropped).map((k) => k.txid);
    if (gone.length > 0) await trx.updateTable('crypto_payment_txs').set({ dropped: true, updated_at: now }).where('invoice_id', '=', invoiceId).where('txid', 'in', gone).execute();

    const txs = await trx.selectFrom('crypto_payment_txs').selectAll().where('invoice_id', '=', invoiceId).execute();
    const tally = tallyPayment(
      txs.map((t) => ({ amount: BigInt(t.amount_units), confirmations: t.confirmations, firstSeenAt: t.first_seen_at, dropped: t.dropped })),
      BigInt(payment.requested_units),
      payment.required_confirmations,
      payment.expires_at,
    );
    const step = nextCryptoStep(tally, now, payment.expires_at);
    // A finished payment keeps its status; only its amounts and transactions follow the chain.
    const open = payment.status === 'AWAITING' || payment.status === 'PARTIAL' || payment.status === 'CONFIRMING';
    const status: CryptoPaymentStatus = open && step.kind === 'wait' ? step.status : payment.status;
    await trx
      .updateTable('crypto_payments')
      .set({ received_units: tally.seen.toString(), confirmed_units: tally.confirmed.toString(), status, cursor: result.cursor ? JSON.stringify(result.cursor) : null, updated_at: now })
      .where('invoice_id', '=', invoiceId)
      .execute();
    // Part of the money is in: SellApp's PARTIAL, which the customer can still top up.
    if (status === 'PARTIAL') await transitionInvoice(trx, invoiceId, 'PARTIAL', { quiet: true });
    await refreshInvoiceGateway(trx, invoiceId);
    // An expiry reports what it will record: EXPIRED, or UNDERPAID when some money came.
    return { step: step.kind, status: step.kind === 'expire' ? step.status : status, lateUnits: tally.seenLate.toString() };
  });
}

async function flag(trx: DbExecutor, invoiceId: number, reason: string): Promise<void> {
  const invoice = await trx.selectFrom('invoices').select(['store_id', 'livemode', 'needs_attention']).where('id', '=', invoiceId).forUpdate().executeTakeFirstOrThrow();
  if (!invoice.needs_attention) await trx.updateTable('invoices').set({ needs_attention: true, updated_at: new Date() }).where('id', '=', invoiceId).execute();
  await recordEvent(trx, { storeId: invoice.store_id, livemode: invoice.livemode, type: 'delivery.needs_attention', data: { id: invoiceId, reason } });
}

/**
 * Enough is confirmed: the invoice is PAID (once, whoever reports it). If the invoice was voided
 * meanwhile, the money is not lost: the invoice is flagged for a person instead.
 */
export async function settleCryptoPayment(db: Db, invoiceId: number): Promise<'paid' | 'flagged'> {
  return db.transaction().execute(async (trx) => {
    const payment = await trx.selectFrom('crypto_payments').select(['status', 'received_units', 'requested_units']).where('invoice_id', '=', invoiceId).forUpdate().executeTakeFirstOrThrow();
    if (payment.status === 'PAID') return 'paid';
    if (payment.status === 'LATE_PAYMENT') return 'flagged';
    const result = await transitionInvoice(trx, invoiceId, 'PAID', { event: 'order.paid', quiet: true, also: { paid_at: new Date() } });
    const paid = result.status === 'PAID' || result.status === 'COMPLETED';
    await trx
      .updateTable('crypto_payments')
      .set({ status: paid ? 'PAID' : 'LATE_PAYMENT', settled_at: new Date(), updated_at: new Date() })
      .where('invoice_id', '=', invoiceId)
      .execute();
    if (!paid) await flag(trx, invoiceId, `crypto payment confirmed after the invoice was ${result.status.toLowerCase()}`);
    await refreshInvoiceGateway(trx, invoiceId);
    return paid ? 'paid' : 'flagged';
  });
}

/**
 * The window closed without enough: the invoice is voided. Money received short of the amount
 * is flagged for a person to refund or accept (the workflow keeps watching for late money).
 */
export async function expireCryptoPayment(db: Db, invoiceId: number, status: 'EXPIRED' | 'UNDERPAID'): Promise<{ invoiceStatus: string }> {
  return db.transaction().execute(async (trx) => {
    const result = await transitionInvoice(trx, invoiceId, 'VOIDED', { quiet: true });
    await trx.updateTable('crypto_payments').set({ status, updated_at: new Date() }).where('invoice_id', '=', invoiceId).where('status', 'in', ['AWAITING', 'PARTIAL', 'CONFIRMING']).execute();
    if (status === 'UNDERPAID') {
      const payment = await trx.selectFrom('crypto_payments').select(['received_units', 'requested_units', 'method']).where('invoice_id', '=', invoiceId).executeTakeFirstOrThrow();
      await flag(trx, invoiceId, `crypto payment expired underpaid: ${payment.received_units} of ${payment.requested_units} smallest ${payment.method} units received`);
    }
    await refreshInvoiceGateway(trx, invoiceId);
    return { invoiceStatus: result.status };
  });
}

/** Money that arrived after the window (or never confirmed in time) waits for a person. */
export async function flagLateCryptoPayment(db: Db, invoiceId: number, reason: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('crypto_payments').set({ status: 'LATE_PAYMENT', updated_at: new Date() }).where('invoice_id', '=', invoiceId).execute();
    await flag(trx, invoiceId, reason);
    await refreshInvoiceGateway(trx, invoiceId);
  });
}
