import type { DbExecutor } from '../../db/schema';
import { AccountAddressError, parseAccountAddress } from './account-address';
import { type SupportedCryptoMethod, isExtendedKeyMethod } from './coins';
import { ExtendedKeyError, type ExtendedPublicKey, parseExtendedPublicKey } from './extended-key';

/** What a store saves for a crypto method (sealed like every gateway setting). */
export interface CryptoWalletSettings {
  /** BTC, LTC: the account's extended public key; a fresh address is derived per invoice. */
  xpub?: string;
  /** Account-based coins: the one receiving address. */
  address?: string;
  /** Shown back to the seller; payments go straight to their wallet, so nothing is withheld. */
  minimum_withdrawal?: number | null;
  /** XMR: the store's monero-wallet-rpc (view-only wallet of `address`), which sees its payments. */
  wallet_rpc_url?: string;
  /** Crypto checkout settings: shortfall (0–50 %) still accepted as paid; null: the server's default. */
  underpaid_percentage?: number | null;
  /** Confirmations before the order moves on; null: the server's default for the coin. */
  minimum_confirmations?: number | null;
}

/** The checkout settings a wallet's record carries besides where the money goes. */
export function checkoutSettingsOf(settings: CryptoWalletSettings) {
  return { underpaid_percentage: settings.underpaid_percentage ?? null, minimum_confirmations: settings.minimum_confirmations ?? null };
}

/** Refuses checkout settings out of range (the API answers 422 naming the field). */
export function assertCheckoutSettings(settings: CryptoWalletSettings): void {
  const pct = settings.underpaid_percentage;
  if (pct !== undefined && pct !== null && !(Number.isFinite(pct) && pct >= 0 && pct <= 50 && Math.round(pct * 100) === pct * 100))
    throw new WalletSettingsError(
      'invalid_field',
      'underpaid_percentage is a percentage from 0 to 50 with two decimals at most',
      'underpaid_percentage',
    );
  const confirmations = settings.minimum_confirmations;
  if (
    confirmations !== undefined &&
    confirmations !== null &&
    !(Number.isInteger(confirmations) && confirmations >= 1 && confirmations <= 10_000)
  )
    throw new WalletSettingsError(
      'invalid_field',
      'minimum_confirmations is a whole number from 1 to 10000 (a mempool transaction can still be replaced)',
      'minimum_confirmations',
    );
}

/** A refused wallet setting: the API answers 422 with `param` and `code`. */
export class WalletSettingsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly param: string,
  ) {
    super(message);
  }
}

export interface ReceivingWallet {
  /** The key's id (same key, same addresses) or the address itself. */
  walletId: string;
  key?: ExtendedPublicKey;
  address?: string;
  /** XMR: invoices get subaddresses from this wallet server. */
  moneroRpcUrl?: string;
}

/** Checks what was pasted; a private key, a wrong network or garbage is refused, never stored. */
export function receivingWallet(method: SupportedCryptoMethod, settings: CryptoWalletSettings): ReceivingWallet {
  if (isExtendedKeyMethod(method)) {
    if (!settings.xpub)
      throw new WalletSettingsError('missing_field', `${method} takes an extended public key (xpub, ypub or zpub)`, 'xpub');
    try {
      const key = parseExtendedPublicKey(method, settings.xpub);
      return { walletId: key.keyId, key };
    } catch (error) {
      if (error instanceof ExtendedKeyError) throw new WalletSettingsError(error.code, error.message, 'xpub');
      throw error;
    }
  }
  if (!settings.address) throw new WalletSettingsError('missing_field', `${method} takes a wallet address`, 'address');
  let moneroRpcUrl: string | undefined;
  if (method === 'XMR') {
    if (!settings.wallet_rpc_url)
      throw new WalletSettingsError(
        'missing_field',
        'XMR takes the URL of your monero-wallet-rpc running a view-only wallet of the address',
        'wallet_rpc_url',
      );
    if (!/^https?:\/\/[^\s]+$/.test(settings.wallet_rpc_url))
      throw new WalletSettingsError('invalid_field', 'wallet_rpc_url is an http(s) URL', 'wallet_rpc_url');
    moneroRpcUrl = settings.wallet_rpc_url;
  }
  try {
    const parsed = parseAccountAddress(method, settings.address);
    return { walletId: parsed.address, address: parsed.address, ...(moneroRpcUrl ? { moneroRpcUrl } : {}) };
  } catch (error) {
    if (error instanceof AccountAddressError) throw new WalletSettingsError(error.code, error.message, 'address');
    throw error;
  }
}

/** Wallets keep looking for payments only this many unused addresses past the last used one. */
export const GAP_LIMIT = 20;

/**
 * The settings as the seller sees them, with how far derivation has gone: `unpaid_streak` is
 * how many of the newest addresses received nothing. Past the gap limit a wallet restored from
 * its seed stops looking, so payments to later addresses only show after raising its gap limit
 * (Electrum: wallet.change_gap_limit). We never reuse an address to stay under it: a late
 * payment to an old invoice would be credited to a new one.
 */
export async function describeWallet(
  db: DbExecutor,
  storeId: number,
  method: SupportedCryptoMethod,
  settings: CryptoWalletSettings,
  enabled: boolean,
) {
  const wallet = receivingWallet(method, settings);
  const base = { method, enabled, minimum_withdrawal: settings.minimum_withdrawal ?? null, ...checkoutSettingsOf(settings) };
  if (!wallet.key) return { ...base, address: wallet.address, ...(wallet.moneroRpcUrl ? { wallet_rpc_url: wallet.moneroRpcUrl } : {}) };
  const row = await db
    .selectFrom('crypto_wallets')
    .select('next_index')
    .where('method', '=', method)
    .where('wallet_id', '=', wallet.walletId)
    .executeTakeFirst();
  const nextIndex = row?.next_index ?? 0;
  const lastPaid = await db
    .selectFrom('crypto_payments')
    .select((eb) => eb.fn.max('derivation_index').as('index'))
    .where('method', '=', method)
    .where('wallet_id', '=', wallet.walletId)
    .where('received_units', '>', '0')
    .executeTakeFirst();
  const unpaidStreak = nextIndex - 1 - (lastPaid?.index ?? -1);
  return {
    ...base,
    xpub: wallet.key.text,
    scheme: wallet.key.scheme,
    next_index: nextIndex,
    unpaid_streak: unpaidStreak,
    gap_limit_warning:
      unpaidStreak > GAP_LIMIT
        ? `${unpaidStreak} addresses in a row have received nothing; raise your wallet's gap limit above ${unpaidStreak} or it will not show payments to newer addresses`
        : null,
  };
}
