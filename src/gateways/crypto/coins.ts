import { type CRYPTO_PAYMENT_METHODS } from '../../domain/payment-methods';

export type CryptoMethod = (typeof CRYPTO_PAYMENT_METHODS)[number];

export type Chain = 'bitcoin' | 'litecoin' | 'ethereum' | 'bsc' | 'tron' | 'polygon' | 'solana' | 'monero' | 'cardano';

/**
 * How a store receives a coin: UTXO coins take an account-level extended public key and get a
 * fresh address per invoice; account-based coins take one address that every invoice shares,
 * so their invoices are told apart by amount (see `uniqueAmount` in domain/crypto-amount).
 */
export type WalletKind = 'extended_public_key' | 'address';

export interface SupportedCryptoCoin {
  readonly supported: true;
  readonly chain: Chain;
  readonly wallet: WalletKind;
  /** Digits of the smallest on-chain unit (satoshi, wei, lamport, piconero, token base unit). */
  readonly decimals: number;
  /** Ticker to ask the rate source for: a token is priced as itself, not as its chain's coin. */
  readonly rateTicker: string;
  /** Confirmations before a payment counts as received; tokens inherit their chain's value. */
  readonly confirmations: number;
}

export interface UnsupportedCryptoCoin {
  readonly supported: false;
  readonly chain: Chain;
}

export type CryptoCoin = SupportedCryptoCoin | UnsupportedCryptoCoin;

/*
 * Why these confirmation counts:
 * - bitcoin 2: reorgs deeper than one block are very rare; two blocks (~20 min) is the usual
 *   merchant trade-off for digital goods.
 * - litecoin 6: 2.5-minute blocks and far less hash power than Bitcoin; six blocks is ~15 min.
 * - ethereum 12: ~2.4 min of 12 s slots, the long-standing exchange reorg margin (full
 *   finality is two epochs, ~13 min, which customers would find too slow).
 * - bsc 15: BSC's fast finality usually lands within a few blocks; 15 keeps a margin and is
 *   still only seconds.
 * - polygon 128: Polygon PoS has had reorgs over 100 blocks deep; 128 blocks is ~4 min.
 * - tron 19: a block is irreversible ("solidified") once 19 of the 27 super representatives
 *   (2/3 + 1) have built on it.
 * - solana 32: the "finalized" commitment — the block is rooted by a supermajority (31+ blocks
 *   on top); "confirmed" can still be rolled back in rare cases.
 * - monero 10: received outputs are locked for 10 blocks by consensus, so nothing earlier is
 *   spendable anyway.
 */
const BTC = { supported: true, chain: 'bitcoin', wallet: 'extended_public_key', decimals: 8, rateTicker: 'BTC', confirmations: 2 } as const;
const LTC = {
  supported: true,
  chain: 'litecoin',
  wallet: 'extended_public_key',
  decimals: 8,
  rateTicker: 'LTC',
  confirmations: 6,
} as const;
const ethereum = { supported: true, chain: 'ethereum', wallet: 'address', confirmations: 12 } as const;
const bsc = { supported: true, chain: 'bsc', wallet: 'address', confirmations: 15 } as const;
const tron = { supported: true, chain: 'tron', wallet: 'address', confirmations: 19 } as const;
const polygon = { supported: true, chain: 'polygon', wallet: 'address', confirmations: 128 } as const;
const solana = { supported: true, chain: 'solana', wallet: 'address', confirmations: 32 } as const;
const monero = { supported: true, chain: 'monero', wallet: 'address', confirmations: 10 } as const;

/** One row per crypto payment method; the `satisfies` keeps it in step with the method list. */
export const CRYPTO_COINS = {
  BTC,
  LTC,
  ETH: { ...ethereum, decimals: 18, rateTicker: 'ETH' },
  XMR: { ...monero, decimals: 12, rateTicker: 'XMR' },
  SOL: { ...solana, decimals: 9, rateTicker: 'SOL' },
  // Cardano needs its own address scheme and watcher; not offered in wallet settings yet.
  ADA: { supported: false, chain: 'cardano' },
  BNB: { ...bsc, decimals: 18, rateTicker: 'BNB' },
  TRX: { ...tron, decimals: 6, rateTicker: 'TRX' },
  // Polygon's gas token was renamed MATIC → POL (1:1) in 2024; rate sources list it as POL.
  MATIC: { ...polygon, decimals: 18, rateTicker: 'POL' },
  ETH_USDT: { ...ethereum, decimals: 6, rateTicker: 'USDT' },
  ETH_USDC: { ...ethereum, decimals: 6, rateTicker: 'USDC' },
  ETH_UNI: { ...ethereum, decimals: 18, rateTicker: 'UNI' },
  ETH_SHIB: { ...ethereum, decimals: 18, rateTicker: 'SHIB' },
  ETH_DAI: { ...ethereum, decimals: 18, rateTicker: 'DAI' },
  // Binance-Peg stablecoins on BSC use 18 decimals, unlike their 6-decimal Ethereum originals.
  BNB_USDT: { ...bsc, decimals: 18, rateTicker: 'USDT' },
  BNB_USDC: { ...bsc, decimals: 18, rateTicker: 'USDC' },
  TRX_USDT: { ...tron, decimals: 6, rateTicker: 'USDT' },
  TRX_USDC: { ...tron, decimals: 6, rateTicker: 'USDC' },
  SOL_USDT: { ...solana, decimals: 6, rateTicker: 'USDT' },
  SOL_USDC: { ...solana, decimals: 6, rateTicker: 'USDC' },
} as const satisfies { readonly [M in CryptoMethod]: CryptoCoin };

type Coins = typeof CRYPTO_COINS;
type MethodsWhere<Shape> = { [M in CryptoMethod]: Coins[M] extends Shape ? M : never }[CryptoMethod];

export type SupportedCryptoMethod = MethodsWhere<{ supported: true }>;
/** BTC and LTC: configured with an extended public key. */
export type ExtendedKeyMethod = MethodsWhere<{ wallet: 'extended_public_key' }>;
/** Every other supported method: configured with one receiving address. */
export type AccountMethod = MethodsWhere<{ wallet: 'address' }>;

export function cryptoCoin<M extends CryptoMethod>(method: M): Coins[M] {
  return CRYPTO_COINS[method];
}

export function isSupportedCryptoMethod(method: CryptoMethod): method is SupportedCryptoMethod {
  return CRYPTO_COINS[method].supported;
}

export function isExtendedKeyMethod(method: CryptoMethod): method is ExtendedKeyMethod {
  const coin: CryptoCoin = CRYPTO_COINS[method];
  return coin.supported && coin.wallet === 'extended_public_key';
}

export function isAccountMethod(method: CryptoMethod): method is AccountMethod {
  const coin: CryptoCoin = CRYPTO_COINS[method];
  return coin.supported && coin.wallet === 'address';
}
