import type { DbExecutor } from '../../db/schema';
import { formatSmallestUnits } from '../../domain/crypto-amount';
import { acceptedUnits } from '../../domain/crypto-payment';
import { type SupportedCryptoMethod, cryptoCoin } from './coins';

const URI_SCHEMES: Partial<Record<SupportedCryptoMethod, string>> = { BTC: 'bitcoin', LTC: 'litecoin' };

/**
 * What the invoice shows of its crypto payment (`payment.gateway.data`, and the checkout
 * response): where to pay, how much was asked and received, confirmations, transactions.
 */
export async function cryptoGatewayData(db: DbExecutor, invoiceId: number) {
  const payment = await db.selectFrom('crypto_payments').selectAll().where('invoice_id', '=', invoiceId).executeTakeFirstOrThrow();
  const txs = await db
    .selectFrom('crypto_payment_txs')
    .selectAll()
    .where('invoice_id', '=', invoiceId)
    .orderBy('first_seen_at')
    .orderBy('txid')
    .execute();
  const method = payment.method as SupportedCryptoMethod;
  const { decimals } = cryptoCoin(method);
  const amount = formatSmallestUnits(BigInt(payment.requested_units), decimals);
  const scheme = URI_SCHEMES[method];
  const live = txs.filter((t) => !t.dropped);
  return {
    address: payment.address,
    currency: method,
    amount,
    amount_units: payment.requested_units,
    received: formatSmallestUnits(BigInt(payment.received_units), decimals),
    received_units: payment.received_units,
    confirmed_units: payment.confirmed_units,
    overpaid_units:
      BigInt(payment.received_units) > BigInt(payment.requested_units)
        ? (BigInt(payment.received_units) - BigInt(payment.requested_units)).toString()
        : '0',
    confirmations: live.length === 0 ? 0 : Math.min(...live.map((t) => t.confirmations)),
    required_confirmations: payment.required_confirmations,
    /** The least that settles the invoice: the amount less the store's tolerated underpayment. */
    accepted_units: acceptedUnits(BigInt(payment.requested_units), payment.underpaid_tolerance_bp).toString(),
    underpaid_percentage: payment.underpaid_tolerance_bp / 100,
    status: payment.status,
    rate: payment.rate,
    fiat_currency: payment.fiat_currency,
    expires_at: payment.expires_at.toISOString(),
    payment_uri: scheme ? `${scheme}:${payment.address}?amount=${amount}` : null,
    transactions: txs.map((t) => ({
      txid: t.txid,
      amount: formatSmallestUnits(BigInt(t.amount_units), decimals),
      amount_units: t.amount_units,
      confirmations: t.confirmations,
      dropped: t.dropped,
      first_seen_at: t.first_seen_at.toISOString(),
    })),
  };
}

/** Copies the payment's state onto the invoice, which is what the API reads. */
export async function refreshInvoiceGateway(db: DbExecutor, invoiceId: number): Promise<void> {
  const row = await db.selectFrom('crypto_payments').select('method').where('invoice_id', '=', invoiceId).executeTakeFirstOrThrow();
  const data = await cryptoGatewayData(db, invoiceId);
  await db
    .updateTable('invoices')
    .set({ gateway: JSON.stringify({ type: row.method, data }), updated_at: new Date() })
    .where('id', '=', invoiceId)
    .execute();
}
