import { sql } from 'kysely';
import type { Db } from '../../db/schema';
import { amountStep, cryptoAmountFor, uniqueAmount } from '../../domain/crypto-amount';
import { percentageToBasisPoints } from '../../domain/crypto-payment';
import type { SecretBox } from '../../security/secret-box';
import { gatewaySettings } from '../gateway-settings';
import {
  chainStartHeight,
  chainWatcherFor,
  type CryptoSettings,
  isWatchedMethod,
  rateSourceFor,
  requiredConfirmations,
} from './chain-access';
import { ChainWatcherError } from './chain-observation';
import { cryptoCoin } from './coins';
import { refreshInvoiceGateway } from './crypto-payment-view';
import { deriveReceiveAddress } from './extended-key';
import { assertWalletServerReachable, createMoneroSubaddress } from './monero-wallet-watcher';
import { RateSourceError } from './rate-source';
import { type CryptoWalletSettings, receivingWallet } from './wallet-settings';
import { recordIntent } from '../../outbox/record-intent';

/** Blocks scanned again before the head at checkout, in case the customer was quick. */
const CURSOR_MARGIN_BLOCKS = 5;

export class CryptoCheckoutError extends Error {
  constructor(
    readonly code: 'gateway_not_configured' | 'rate_unavailable' | 'chain_unavailable' | 'invoice_expiring' | 'invalid_status',
    message: string,
    readonly retryable = false,
  ) {
    super(message);
  }
}

const OPEN = ['AWAITING', 'PARTIAL', 'CONFIRMING'] as const;
/** Shortest quote worth giving; an invoice expiring sooner is refused. */
const MIN_WINDOW_MS = 10 * 60_000;

/**
 * Opens the crypto payment of a pending invoice: the fiat total is quoted in the coin at the
 * current rate (fixed for the window), and the invoice gets its own address (derived from the
 * store's extended key, never reused) or, for account-based coins, the store's address with an
 * amount no other open invoice to it has. A second checkout returns the same quote. Answers the
 * engine intent that owes the payment's watcher workflow, or null when the payment was open already.
 */
export async function openCryptoPayment(
  db: Db,
  box: SecretBox,
  settings: CryptoSettings,
  invoice: {
    id: number;
    store_id: number;
    livemode: boolean;
    payment_method: string;
    total_cents: number;
    currency: string;
    expires_at: Date;
  },
): Promise<number | null> {
  const existing = await db.selectFrom('crypto_payments').select('invoice_id').where('invoice_id', '=', invoice.id).executeTakeFirst();
  if (existing) return null;

  const method = invoice.payment_method;
  if (!isWatchedMethod(method))
    throw new CryptoCheckoutError(
      'gateway_not_configured',
      `${method} payments cannot be watched yet; the seller can review and mark the invoice completed`,
    );
  const gateway = await gatewaySettings<CryptoWalletSettings>(db, box, invoice.store_id, method);
  if (!gateway?.enabled) throw new CryptoCheckoutError('gateway_not_configured', `No ${method} wallet is configured for this store`);
  const wallet = receivingWallet(method, gateway.settings);
  const coin = cryptoCoin(method);

  let rate: string;
  try {
    rate = await rateSourceFor(settings).rate(coin.rateTicker, invoice.currency);
  } catch (error) {
    if (error instanceof RateSourceError)
      throw new CryptoCheckoutError(
        'rate_unavailable',
        `No ${coin.rateTicker}/${invoice.currency} rate: ${error.message}`,
        error.retryable,
      );
    throw error;
  }
  const quoted = cryptoAmountFor(invoice.total_cents, rate, coin.decimals);
  const now = new Date();
  // The order voids the invoice at its own expiry: a quote needs time to be paid and confirmed.
  if (invoice.expires_at.getTime() - now.getTime() < Math.min(settings.paymentWindowMs, MIN_WINDOW_MS)) {
    throw new CryptoCheckoutError('invoice_expiring', 'This invoice expires too soon to be paid in crypto; create a new one');
  }
  const expiresAt = new Date(Math.min(now.getTime() + settings.paymentWindowMs, invoice.expires_at.getTime()));
  // Where watching starts, taken before the address is shown to anyone: block scanners resume
  // from the cursor, address indexes ignore money confirmed before the start height.
  let cursor: { nextBlock: number } | null = null;
  let startHeight: number | null = null;
  let subaddress: { address: string; index: number } | null = null;
  try {
    if (wallet.moneroRpcUrl) {
      // Monero: the store's wallet hands out the invoice's own subaddress.
      await assertWalletServerReachable(wallet.moneroRpcUrl, settings.allowPrivateWalletRpc);
      const walletServer = { rpcUrl: wallet.moneroRpcUrl, allowPrivate: settings.allowPrivateWalletRpc };
      subaddress = await createMoneroSubaddress(walletServer, `invoice-${invoice.id}`);
    } else {
      const start = await chainWatcherFor(settings, method)!.startCursor();
      cursor = start ? { nextBlock: Math.max(0, start.nextBlock - CURSOR_MARGIN_BLOCKS) } : null;
      startHeight = await chainStartHeight(settings, method);
    }
  } catch (error) {
    if (error instanceof ChainWatcherError)
      throw new CryptoCheckoutError(
        'chain_unavailable',
        `The ${method} chain cannot be watched right now: ${error.message}`,
        error.retryable,
      );
    throw error;
  }

  return db.transaction().execute(async (trx) => {
    // The invoice row serializes two checkouts of the same invoice.
    const current = await trx.selectFrom('invoices').select('status').where('id', '=', invoice.id).forUpdate().executeTakeFirstOrThrow();
    if (current.status !== 'PENDING')
      throw new CryptoCheckoutError('invalid_status', `The invoice is ${current.status}: only a PENDING invoice can be checked out`);
    if (await trx.selectFrom('crypto_payments').select('invoice_id').where('invoice_id', '=', invoice.id).executeTakeFirst()) return null;
    // One statement takes the wallet's next index (or locks an address wallet's row), whichever
    // store uses the wallet: concurrent checkouts queue here, so no index and no open amount is
    // ever handed out twice.
    const slot = await trx
      .insertInto('crypto_wallets')
      .values({ method, wallet_id: wallet.walletId, next_index: 1 })
      .onConflict((oc) => oc.columns(['method', 'wallet_id']).doUpdateSet({ next_index: sql`crypto_wallets.next_index + 1` }))
      .returning('next_index')
      .executeTakeFirstOrThrow();
    let address: string;
    let derivationIndex: number | null = null;
    let requested = quoted;
    if (wallet.key) {
      derivationIndex = slot.next_index - 1;
      address = deriveReceiveAddress(wallet.key, derivationIndex);
    } else if (subaddress) {
      derivationIndex = subaddress.index;
      address = subaddress.address;
    } else {
      address = wallet.address!;
      const open = await trx
        .selectFrom('crypto_payments')
        .select('requested_units')
        .where('method', '=', method)
        .where('wallet_id', '=', wallet.walletId)
        // Recently closed ones too: money for them may still arrive and must not match this one.
        .where((eb) => eb.or([eb('status', 'in', OPEN), eb('late_watch_until', '>', now)]))
        .execute();
      requested = uniqueAmount(
        quoted,
        open.map((o) => BigInt(o.requested_units)),
        amountStep(coin.decimals),
      );
    }
    await trx
      .insertInto('crypto_payments')
      .values({
        invoice_id: invoice.id,
        store_id: invoice.store_id,
        method,
        wallet_id: wallet.walletId,
        address,
        derivation_index: derivationIndex,
        rate,
        fiat_cents: invoice.total_cents,
        fiat_currency: invoice.currency,
        requested_units: requested.toString(),
        // The store's crypto checkout settings now, the server's defaults where it set none.
        required_confirmations: gateway.settings.minimum_confirmations ?? requiredConfirmations(settings, method),
        underpaid_tolerance_bp:
          gateway.settings.underpaid_percentage === undefined || gateway.settings.underpaid_percentage === null
            ? settings.underpaidToleranceBp
            : percentageToBasisPoints(gateway.settings.underpaid_percentage),
        cursor: cursor ? JSON.stringify(cursor) : null,
        start_height: startHeight,
        expires_at: expiresAt,
        late_watch_until: new Date(expiresAt.getTime() + settings.lateWatchMs),
      })
      .execute();
    await refreshInvoiceGateway(trx, invoice.id);
    // The payment's watcher is owed with the payment (engine outbox): a crash before it starts leaves it to the relay.
    return recordIntent(trx, { kind: 'crypto.start', subjectId: invoice.id });
  });
}
