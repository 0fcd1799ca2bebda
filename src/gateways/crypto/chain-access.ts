import type { Config } from '../../config';
import type { ChainWatcher } from './chain-observation';
import { type CryptoMethod, type SupportedCryptoMethod, cryptoCoin, isSupportedCryptoMethod } from './coins';
import { EsploraWatcher } from './esplora-watcher';
import { EvmWatcher } from './evm-watcher';
import { CoinGeckoRateSource, FixedRateSource, type RateSource } from './rate-source';
import { SOLANA_USDC_MINT, SOLANA_USDT_MINT, SolanaWatcher } from './solana-watcher';
import { TRON_USDC_CONTRACT, TRON_USDT_CONTRACT, TronWatcher } from './tron-watcher';
import { MoneroWalletWatcher } from './monero-wallet-watcher';
import { ChainWatcherError, chainRequest, responseText } from './chain-observation';

/** Mainnet token contracts (CRYPTO_TOKEN_CONTRACTS overrides them). */
const TOKEN_CONTRACTS: Partial<Record<CryptoMethod, string>> = {
  ETH_USDT: '0xdAC17F958D2ee523a2206206994597C13D831ec7',
  ETH_USDC: '0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48',
  ETH_UNI: '0x1f9840a85d5aF5bf1D1762F925BDADdC4201F984',
  ETH_SHIB: '0x95aD61b0a150d79219dCF64E1E6Cc01f0B64C4cE',
  ETH_DAI: '0x6B175474E89094C44Da98b954EedeAC495271d0F',
  BNB_USDT: '0x55d398326f99059fF775485246999027B3197955',
  BNB_USDC: '0x8AC76a51cc950d9822D68b83fE1Ad97B32Cd580d',
  SOL_USDT: SOLANA_USDT_MINT,
  SOL_USDC: SOLANA_USDC_MINT,
  TRX_USDT: TRON_USDT_CONTRACT,
  TRX_USDC: TRON_USDC_CONTRACT,
};

/** Which node answers for a method: its own chain's, a token its chain's. */
const CHAIN_API: Partial<Record<CryptoMethod, keyof Config['crypto']['chainApis']>> = {
  BTC: 'BTC',
  LTC: 'LTC',
  ETH: 'ETH',
  ETH_USDT: 'ETH',
  ETH_USDC: 'ETH',
  ETH_UNI: 'ETH',
  ETH_SHIB: 'ETH',
  ETH_DAI: 'ETH',
  BNB: 'BNB',
  BNB_USDT: 'BNB',
  BNB_USDC: 'BNB',
  MATIC: 'MATIC',
  SOL: 'SOL',
  SOL_USDT: 'SOL',
  SOL_USDC: 'SOL',
  TRX: 'TRX',
  TRX_USDT: 'TRX',
  TRX_USDC: 'TRX',
};

export type CryptoSettings = Config['crypto'];

/**
 * The chain watcher for a method (null for none). Monero's comes from the store's own wallet
 * server and the invoice's subaddress: only a view key can see Monero payments.
 */
export function chainWatcherFor(
  settings: CryptoSettings,
  method: CryptoMethod,
  monero?: { rpcUrl: string; subaddressIndex: number },
): ChainWatcher | null {
  if (method === 'XMR') {
    if (!monero) return null;
    return new MoneroWalletWatcher({ rpcUrl: monero.rpcUrl, allowPrivate: settings.allowPrivateWalletRpc }, monero.subaddressIndex);
  }
  const api = CHAIN_API[method];
  if (!api) return null;
  const url = settings.chainApis[api];
  if (method === 'BTC' || method === 'LTC') return new EsploraWatcher({ baseUrl: url });
  const token = settings.tokenContracts[method] ?? TOKEN_CONTRACTS[method];
  if (api === 'SOL') return new SolanaWatcher({ rpcUrl: url, ...(token ? { mint: token } : {}) });
  if (api === 'TRX')
    return new TronWatcher({
      baseUrl: url,
      ...(settings.tronApiKey ? { apiKey: settings.tronApiKey } : {}),
      ...(token ? { contract: token } : {}),
    });
  // 100 blocks a poll: a catch-up after an outage is many short polls, each saving its cursor.
  return new EvmWatcher({ rpcUrl: url, maxBlocksPerCall: 100, ...(token ? { token } : {}) });
}

/**
 * For address-indexed chains (Esplora), the tip height when an address is handed out: money
 * confirmed at or below it was there before the invoice and is never its payment.
 */
export async function chainStartHeight(settings: CryptoSettings, method: CryptoMethod): Promise<number | null> {
  if (method !== 'BTC' && method !== 'LTC') return null;
  const url = `${settings.chainApis[method].replace(/\/+$/, '')}/blocks/tip/height`;
  const text = (await responseText(await chainRequest(url, { method: 'GET' }, 15_000), url)).trim();
  if (!/^\d+$/.test(text)) throw new ChainWatcherError(`${url} answered ${text.slice(0, 50)}, not a height`, false);
  return Number(text);
}

export function requiredConfirmations(settings: CryptoSettings, method: SupportedCryptoMethod): number {
  return settings.confirmations[method] ?? cryptoCoin(method).confirmations;
}

export function rateSourceFor(settings: CryptoSettings): RateSource {
  return settings.fixedRates ? new FixedRateSource(settings.fixedRates) : new CoinGeckoRateSource({ baseUrl: settings.ratesApiUrl });
}

export function isWatchedMethod(method: string): method is SupportedCryptoMethod {
  return (method === 'XMR' || (Object.keys(CHAIN_API) as string[]).includes(method)) && isSupportedCryptoMethod(method as CryptoMethod);
}
