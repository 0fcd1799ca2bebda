/** SellApp v2's payment-method enum (33 values); the v1 listing list is a subset. */
export const FIAT_PAYMENT_METHODS = [
  'AUTHNET',
  'BTCPAY',
  'CASHAPP',
  'COINBASE',
  'PADDLE',
  'PAYDASH',
  'PAYPAL',
  'PAYSTACK',
  'SQUARE',
  'STRIPE',
  'VENMO',
  'NMI',
  'LIFI',
] as const;

export const CRYPTO_PAYMENT_METHODS = [
  'BTC',
  'LTC',
  'ETH',
  'XMR',
  'SOL',
  'ADA',
  'BNB',
  'TRX',
  'MATIC',
  'ETH_USDT',
  'ETH_USDC',
  'ETH_UNI',
  'ETH_SHIB',
  'ETH_DAI',
  'BNB_USDT',
  'BNB_USDC',
  'TRX_USDT',
  'TRX_USDC',
  'SOL_USDT',
  'SOL_USDC',
] as const;

export const PAYMENT_METHODS = [...FIAT_PAYMENT_METHODS, ...CRYPTO_PAYMENT_METHODS] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
