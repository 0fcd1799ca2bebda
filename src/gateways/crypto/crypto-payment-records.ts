import { sql } from 'kysely';
import type { Db, DbExecutor } from '../../db/schema';
import { type CryptoPaymentStatus, nextCryptoStep, tallyPayment } from '../../domain/crypto-payment';
import { recordEvent } from '../../events/record';
import { expireUnpaidInvoice, transitionInvoice } from '../../orders/invoice-transitions';
import { flagInvoiceForAttention } from '../../orders/invoice-attention';
import { chainWatcherFor, type CryptoSettings } from './chain-access';
import { ChainWatcherError, type PaymentObservation } from './chain-observation';
import type { SecretBox } from '../../security/secret-box';
import { gatewaySettings } from '../gateway-settings';
import type { CryptoWalletSettings } from './wallet-settings';
import { assertWalletServerReachable } from './monero-wallet-watcher';
import type { CryptoMethod } from './coins';
import { refreshInvoiceGateway } from './crypto-payment-view';
import type { CryptoAcceptance } from '../../temporal/contracts/crypto-payment';

/**
 * Invoices to a shared account address are told apart by amount: only a transfer of exactly
 * the invoice's amount, not already credited to another invoice, is this invoice's. Called
 * under the wallet's lock, so two invoices never claim one transfer. A transfer whose amount
 * is no invoice's (an exchange took its fee, a wallet rounded) is kept and flagged, never lost.
 */
async function matchByAmount(
  trx: DbExecutor,
  payment: { invoice_id: number; store_id: number; address: string; method: string; wallet_id: string; requested_units: string },
  observations: PaymentObservation[],
  now: Date,
) {
  await trx
    .selectFrom('crypto_wallets')
    .select('next_index')
    .where('method', '=', payment.method)
    .where('wallet_id', '=', payment.wallet_id)
    .forUpdate()
    .executeTakeFirst();
  if (observations.length === 0) return [];
  const txids = observations.map((o) => o.txid);
  const claimed = await trx
    .selectFrom('crypto_payment_txs as t')
    .innerJoin('crypto_payments as p', 'p.invoice_id', 't.invoice_id')
    .select('t.txid')
    .where('p.address', '=', payment.address)
    .where('p.method', '=', payment.method)
    .where('p.invoice_id', '<>', payment.invoice_id)
    .where('t.txid', 'in', txids)
    .execute();
  const kept = await trx
    .selectFrom('crypto_unmatched_transfers')
    .select('txid')
    .where('method', '=', payment.method)
    .where('address', '=', payment.address)
    .where('txid', 'in', txids)
    .execute();
  // A transfer already kept as matching nothing never pays a later invoice of the same amount.
  const taken = new Set([...claimed.map((c) => c.txid), ...kept.map((k) => k.txid)]);
  const wanted = BigInt(payment.requested_units);
  const mine = observations.filter((o) => o.amount === wanted && !taken.has(o.txid));

  // Amounts some invoice is still waiting (or watching late) for; a paid one wants no more.
  const amounts = await trx
    .selectFrom('crypto_payments')
    .select('requested_units')
    .where('method', '=', payment.method)
    .where('address', '=', payment.address)
    .where((eb) =>
      eb.or([
        eb('status', 'in', ['AWAITING', 'PARTIAL', 'CONFIRMING']),
        eb.and([eb('status', 'in', ['EXPIRED', 'UNDERPAID']), eb('late_watch_until', '>', now)]),
      ]),
    )
    .execute();
  const expected = new Set(amounts.map((a) => a.requested_units));
  for (const stray of observations.filter((o) => !claimed.some((c) => c.txid === o.txid) && !expected.has(o.amount.toString()))) {
    const kept = await trx
      .insertInto('crypto_unmatched_transfers')
      .values({
        store_id: payment.store_id,
        method: payment.method,
        address: payment.address,
        txid: stray.txid,
        amount_units: stray.amount.toString(),
        first_seen_at: now,
      })
      .onConflict((oc) => oc.constraint('crypto_unmatched_transfers_uq').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (kept) {
      const store = await trx.selectFrom('invoices').select(['livemode']).where('id', '=', payment.invoice_id).executeTakeFirstOrThrow();
      await recordEvent(trx, {
        storeId: payment.store_id,
        livemode: store.livemode,
        type: 'crypto.payment_unmatched',
        data: {
          method: payment.method,
          address: payment.address,
          txid: stray.txid,
          amount_units: stray.amount.toString(),
          reason: "matches no invoice's amount",
        },
      });
    }
  }
  return mine;
}

/** The settings a payment was opened with, as its row keeps them. */
export function paymentAcceptance(payment: { required_confirmations: number; underpaid_tolerance_bp: number }): CryptoAcceptance {
  return { requiredConfirmations: payment.required_confirmations, underpaidToleranceBp: payment.underpaid_tolerance_bp };
}

export async function cryptoAcceptanceOf(db: DbExecutor, invoiceId: number): Promise<CryptoAcceptance> {
  const payment = await db
    .selectFrom('crypto_payments')
    .select(['required_confirmations', 'underpaid_tolerance_bp'])
    .where('invoice_id', '=', invoiceId)
    .executeTakeFirstOrThrow();
  return paymentAcceptance(payment);
}

export interface ObservationOutcome {
  step: 'settle' | 'wait' | 'expire';
  status: CryptoPaymentStatus;
  /** Money paid inside the window. */
  seenUnits: string;
  /** Money first seen after the window closed. */
  lateUnits: string;
}

/** Blocks scanned again on every poll: a reorg or a node lagging behind can't hide a payment. */
const RESCAN_BLOCKS = 12;

function nextCursor(previous: { nextBlock: number } | null, next: { nextBlock: number } | null): string | null {
  if (!next) return null;
  return JSON.stringify({ nextBlock: Math.max(previous?.nextBlock ?? 0, next.nextBlock - RESCAN_BLOCKS) });
}

/**
 * One look at the chain for an invoice's address: every payment seen is recorded (with when we
 * first saw it), payments the chain no longer reports are marked dropped, and the tally says
 * what to do next. Safe to repeat: it only ever mirrors what the chain says now.
 */
export async function observeCryptoPayment(
  db: Db,
  box: SecretBox,
  settings: CryptoSettings,
  invoiceId: number,
  acceptance?: CryptoAcceptance,
  now = new Date(),
): Promise<ObservationOutcome> {
  const payment = await db.selectFrom('crypto_payments').selectAll().where('invoice_id', '=', invoiceId).executeTakeFirstOrThrow();
  // The workflow carries the checkout's settings; a run from before it did reads them from the payment.
  const { requiredConfirmations, underpaidToleranceBp } = acceptance ?? paymentAcceptance(payment);
  const known = await db.selectFrom('crypto_payment_txs').selectAll().where('invoice_id', '=', invoiceId).execute();
  let monero: { rpcUrl: string; subaddressIndex: number } | undefined;
  if (payment.method === 'XMR') {
    const wallet = await gatewaySettings<CryptoWalletSettings>(db, box, payment.store_id, 'XMR');
    if (!wallet?.settings.wallet_rpc_url || payment.derivation_index === null)
      throw new ChainWatcherError('The store no longer has a Monero wallet server configured', false);
    await assertWalletServerReachable(wallet.settings.wallet_rpc_url, settings.allowPrivateWalletRpc);
    monero = { rpcUrl: wallet.settings.wallet_rpc_url, subaddressIndex: payment.derivation_index };
  }
  const watcher = chainWatcherFor(settings, payment.method as CryptoMethod, monero);
  if (!watcher) throw new Error(`No chain watcher for ${payment.method}`);
  const result = await watcher.observe(payment.address, {
    cursor: payment.cursor,
    known: known
      .filter((k) => !k.dropped)
      .map((k) => ({ txid: k.txid, amount: BigInt(k.amount_units), confirmations: k.confirmations, blockHeight: k.block_height })),
  });

  return db.transaction().execute(async (trx) => {
    await trx.selectFrom('crypto_payments').select('invoice_id').where('invoice_id', '=', invoiceId).forUpdate().executeTakeFirstOrThrow();
    // Money confirmed before the address was handed out (a reused account) is not a payment.
    const fresh = result.observations.filter(
      (o) => payment.start_height === null || o.blockHeight === null || o.blockHeight > payment.start_height,
    );
    const observations = payment.derivation_index === null ? await matchByAmount(trx, payment, fresh, now) : fresh;
    const seen = new Set(observations.map((o) => o.txid));
    for (const o of observations) {
      // When it was paid: the block's time when the chain says (a slow poll must not make an
      // on-time payment late), else when we first saw it.
      const paidAt = o.seenAt && Date.parse(o.seenAt) < now.getTime() ? new Date(o.seenAt) : now;
      await trx
        .insertInto('crypto_payment_txs')
        .values({
          invoice_id: invoiceId,
          txid: o.txid,
          amount_units: o.amount.toString(),
          confirmations: o.confirmations,
          block_height: o.blockHeight,
          first_seen_at: paidAt,
        })
        .onConflict((oc) =>
          oc.columns(['invoice_id', 'txid']).doUpdateSet({
            amount_units: o.amount.toString(),
            confirmations: o.confirmations,
            block_height: o.blockHeight,
            dropped: false,
            first_seen_at: sql<Date>`least(crypto_payment_txs.first_seen_at, ${paidAt})`,
            updated_at: now,
          }),
        )
        .execute();
    }
    const gone = known.filter((k) => !seen.has(k.txid) && !k.dropped).map((k) => k.txid);
    if (gone.length > 0)
      await trx
        .updateTable('crypto_payment_txs')
        .set({ dropped: true, updated_at: now })
        .where('invoice_id', '=', invoiceId)
        .where('txid', 'in', gone)
        .execute();

    const txs = await trx.selectFrom('crypto_payment_txs').selectAll().where('invoice_id', '=', invoiceId).execute();
    const tally = tallyPayment(
      txs.map((t) => ({
        amount: BigInt(t.amount_units),
        confirmations: t.confirmations,
        firstSeenAt: t.first_seen_at,
        dropped: t.dropped,
      })),
      BigInt(payment.requested_units),
      requiredConfirmations,
      payment.expires_at,
    );
    const step = nextCryptoStep(tally, now, payment.expires_at, underpaidToleranceBp);
    // A finished payment keeps its status; only its amounts and transactions follow the chain.
    const open = payment.status === 'AWAITING' || payment.status === 'PARTIAL' || payment.status === 'CONFIRMING';
    const status: CryptoPaymentStatus = open && step.kind === 'wait' ? step.status : payment.status;
    await trx
      .updateTable('crypto_payments')
      .set({
        received_units: tally.seen.toString(),
        confirmed_units: tally.confirmed.toString(),
        status,
        cursor: nextCursor(payment.cursor, result.cursor),
        updated_at: now,
      })
      .where('invoice_id', '=', invoiceId)
      .execute();
    // Part of the money is in: SellApp's PARTIAL, which the customer can still top up.
    if (status === 'PARTIAL') await transitionInvoice(trx, invoiceId, 'PARTIAL', { quiet: true });
    await refreshInvoiceGateway(trx, invoiceId);
    // An expiry reports what it will record: EXPIRED, or UNDERPAID when some money came.
    return {
      step: step.kind,
      status: step.kind === 'expire' ? step.status : status,
      seenUnits: tally.seen.toString(),
      lateUnits: tally.seenLate.toString(),
    };
  });
}

/**
 * Enough is confirmed: the invoice is PAID (once, whoever reports it). If the invoice was voided
 * meanwhile, the money is not lost: the invoice is flagged for a person instead.
 */
export async function settleCryptoPayment(db: Db, invoiceId: number): Promise<'paid' | 'flagged'> {
  return db.transaction().execute(async (trx) => {
    const payment = await trx
      .selectFrom('crypto_payments')
      .select(['status', 'received_units', 'requested_units'])
      .where('invoice_id', '=', invoiceId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (payment.status === 'PAID') return 'paid';
    if (payment.status === 'LATE_PAYMENT') return 'flagged';
    const result = await transitionInvoice(trx, invoiceId, 'PAID', { event: 'order.paid', quiet: true, also: { paid_at: new Date() } });
    const paid = result.status === 'PAID' || result.status === 'COMPLETED';
    await trx
      .updateTable('crypto_payments')
      .set({ status: paid ? 'PAID' : 'LATE_PAYMENT', settled_at: new Date(), updated_at: new Date() })
      .where('invoice_id', '=', invoiceId)
      .execute();
    if (!paid)
      await flagInvoiceForAttention(trx, invoiceId, `crypto payment confirmed after the invoice was ${result.status.toLowerCase()}`);
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
    // The payment's own status first (no longer CONFIRMING), then the invoice: only one still
    // waiting is voided; one the seller marked paid meanwhile stays paid.
    await trx
      .updateTable('crypto_payments')
      .set({ status, updated_at: new Date() })
      .where('invoice_id', '=', invoiceId)
      .where('status', 'in', ['AWAITING', 'PARTIAL', 'CONFIRMING'])
      .execute();
    const result = await expireUnpaidInvoice(trx, invoiceId);
    if (status === 'UNDERPAID') {
      const payment = await trx
        .selectFrom('crypto_payments')
        .select(['received_units', 'requested_units', 'method'])
        .where('invoice_id', '=', invoiceId)
        .executeTakeFirstOrThrow();
      await flagInvoiceForAttention(
        trx,
        invoiceId,
        `crypto payment expired underpaid: ${payment.received_units} of ${payment.requested_units} smallest ${payment.method} units received`,
      );
    }
    await refreshInvoiceGateway(trx, invoiceId);
    return { invoiceStatus: result.status };
  });
}

export async function reportChainTrouble(db: Db, invoiceId: number, reason: string): Promise<void> {
  await db.transaction().execute((trx) => flagInvoiceForAttention(trx, invoiceId, `the chain cannot be watched: ${reason}`));
}

/** Money that arrived after the window (or never confirmed in time) waits for a person. */
export async function flagLateCryptoPayment(db: Db, invoiceId: number, reason: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('crypto_payments')
      .set({ status: 'LATE_PAYMENT', updated_at: new Date() })
      .where('invoice_id', '=', invoiceId)
      .execute();
    await flagInvoiceForAttention(trx, invoiceId, reason);
    await refreshInvoiceGateway(trx, invoiceId);
  });
}
