import { CatalogNotFoundError, CatalogRuleError } from '../catalog/errors';
import type { DbExecutor } from '../db/schema';
import type { SecretBox } from '../security/secret-box';
import { CRYPTO_COINS, type CryptoMethod, type SupportedCryptoMethod, isExtendedKeyMethod } from './crypto/coins';
import { assertCheckoutSettings, checkoutSettingsOf, type CryptoWalletSettings, receivingWallet } from './crypto/wallet-settings';
import { gatewaySettings, saveGatewaySettings, type StripeSettings } from './gateway-settings';
import type { PaypalGateway } from './paypal/paypal-gateway';
import { configurePaypal } from './paypal/paypal-settings';

/**
 * The payment methods a store sets up through the API, as SellApp's payment-methods resource
 * shows them: Stripe (its keys), PayPal (its REST apps) and the crypto wallets payments go to. What is set up is checked
 * before it is stored; secrets are sealed and never shown.
 */

export const SETUP_CRYPTO_METHODS = (Object.keys(CRYPTO_COINS) as CryptoMethod[]).filter(
  (m): m is SupportedCryptoMethod => CRYPTO_COINS[m].supported,
);
export const SETUP_METHODS = ['STRIPE', 'PAYPAL', ...SETUP_CRYPTO_METHODS] as const;
export type SetupMethod = (typeof SETUP_METHODS)[number];
const isCrypto = (method: SetupMethod): method is SupportedCryptoMethod => method !== 'STRIPE' && method !== 'PAYPAL';

/** Merges the given wallet fields over the stored ones, checks the wallet and stores it normalized. */
export async function configureWallet(
  db: DbExecutor,
  secrets: SecretBox,
  storeId: number,
  method: SupportedCryptoMethod,
  fields: CryptoWalletSettings,
  enabled: boolean,
): Promise<CryptoWalletSettings> {
  const current = (await gatewaySettings<CryptoWalletSettings>(db, secrets, storeId, method))?.settings ?? {};
  const merged: CryptoWalletSettings = { ...current, ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) };
  // Throws WalletSettingsError (422 naming the field) for a private key, a wrong network or garbage.
  const wallet = receivingWallet(method, merged);
  assertCheckoutSettings(merged);
  const settings: CryptoWalletSettings = wallet.key
    ? { xpub: wallet.key.text, minimum_withdrawal: merged.minimum_withdrawal ?? null, ...checkoutSettingsOf(merged) }
    : {
        address: wallet.address,
        minimum_withdrawal: merged.minimum_withdrawal ?? null,
        ...(wallet.moneroRpcUrl ? { wallet_rpc_url: wallet.moneroRpcUrl } : {}),
        ...checkoutSettingsOf(merged),
      };
  await saveGatewaySettings(db, secrets, storeId, method, enabled, settings);
  return settings;
}

/** SellApp's configuration body for the methods Sellflow sets up: Stripe's secret key, PayPal's REST app, a wallet's address or extended key. */
export interface MethodConfiguration {
  api_key?: string;
  webhook_secret?: string;
  /** PayPal: one REST app (live unless mode says sandbox) and its webhook's id. */
  client_id?: string;
  client_secret?: string;
  webhook_id?: string;
  mode?: 'live' | 'sandbox';
  address?: string;
  min_withdraw_amount?: number | string | null;
  wallet_rpc_url?: string;
  /** Crypto checkout settings (SellApp's Underpaid Percentage and Minimum Confirmations). */
  underpaid_percentage?: number | null;
  minimum_confirmations?: number | null;
}

export async function configurePaymentMethod(
  db: DbExecutor,
  gateways: { secrets: SecretBox; paypal: PaypalGateway },
  storeId: number,
  method: SetupMethod,
  input: MethodConfiguration,
): Promise<void> {
  const { secrets } = gateways;
  if (method === 'PAYPAL') {
    const app = { client_id: input.client_id, client_secret: input.client_secret, webhook_id: input.webhook_id };
    await configurePaypal(db, secrets, gateways.paypal, storeId, { [input.mode ?? 'live']: app });
    return;
  }
  const stored = await gatewaySettings<unknown>(db, secrets, storeId, method);
  const enabled = stored?.enabled ?? true;
  if (isCrypto(method)) {
    if (!input.address) throw new CatalogRuleError('missing_field', 'address is required', 'address');
    const minimum =
      input.min_withdraw_amount === undefined || input.min_withdraw_amount === null ? null : Number(input.min_withdraw_amount);
    if (minimum !== null && !(minimum >= 0))
      throw new CatalogRuleError('invalid_field', 'min_withdraw_amount is a number ≥ 0', 'min_withdraw_amount');
    const wallet = isExtendedKeyMethod(method) ? { xpub: input.address } : { address: input.address, wallet_rpc_url: input.wallet_rpc_url };
    const checkout = { underpaid_percentage: input.underpaid_percentage, minimum_confirmations: input.minimum_confirmations };
    await configureWallet(db, secrets, storeId, method, { ...wallet, minimum_withdrawal: minimum, ...checkout }, enabled);
    return;
  }
  const key = input.api_key ?? '';
  const mode = /^(sk|rk)_live_[A-Za-z0-9]+$/.test(key) ? 'secret_key' : /^(sk|rk)_test_[A-Za-z0-9]+$/.test(key) ? 'test_secret_key' : null;
  if (!mode) throw new CatalogRuleError('invalid_field', 'api_key is a Stripe secret key (sk_live_…, sk_test_…, rk_…)', 'api_key');
  if (input.webhook_secret !== undefined && !/^whsec_[A-Za-z0-9]+$/.test(input.webhook_secret))
    throw new CatalogRuleError('invalid_field', 'webhook_secret is a Stripe webhook signing secret (whsec_…)', 'webhook_secret');
  const current = (stored?.settings ?? {}) as StripeSettings;
  const settings: StripeSettings = { ...current, [mode]: key, ...(input.webhook_secret ? { webhook_secret: input.webhook_secret } : {}) };
  await saveGatewaySettings(db, secrets, storeId, 'STRIPE', enabled, settings);
}

/** Turns a set-up method on or off at checkout; one not set up cannot be turned on. */
export async function enablePaymentMethod(db: DbExecutor, storeId: number, method: SetupMethod, enabled: boolean): Promise<void> {
  const updated = await db
    .updateTable('payment_gateways')
    .set({ enabled, updated_at: new Date() })
    .where('store_id', '=', storeId)
    .where('method', '=', method)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0 && enabled)
    throw new CatalogRuleError('payment_method_not_connected', `Set up ${method} (PUT …/configuration) before enabling it`, 'enabled');
}

function requiredInput(method: SetupMethod) {
  const field = (name: string, required: boolean, secret: boolean, type = 'string') => ({ name, type, required, secret });
  if (method === 'STRIPE') return [field('api_key', true, true), field('webhook_secret', false, true)];
  if (method === 'PAYPAL')
    return [
      field('client_id', true, false),
      field('client_secret', true, true),
      field('webhook_id', false, false),
      field('mode', false, false),
    ];
  return [
    field('address', true, false),
    field('min_withdraw_amount', false, false, 'number'),
    field('underpaid_percentage', false, false, 'number'),
    field('minimum_confirmations', false, false, 'integer'),
    ...(method === 'XMR' ? [field('wallet_rpc_url', true, false)] : []),
  ];
}

/** The spec's payment-method status: set up or not, on or off, what setting it up takes; never a secret. */
export async function paymentMethodStatus(db: DbExecutor, storeId: number, method: SetupMethod, apiBaseUrl: string) {
  const row = await db
    .selectFrom('payment_gateways')
    .select('enabled')
    .where('store_id', '=', storeId)
    .where('method', '=', method)
    .executeTakeFirst();
  const crypto = isCrypto(method);
  const url = `${apiBaseUrl}/v2/payment-methods/${method}`;
  return {
    id: method,
    name: isCrypto(method) ? method.replace('_', ' ') : method === 'PAYPAL' ? 'PayPal' : 'Stripe',
    description: isCrypto(method)
      ? `Payments straight to your ${CRYPTO_COINS[method].chain} wallet (${isExtendedKeyMethod(method) ? 'an extended public key' : 'one address'})`
      : method === 'PAYPAL'
        ? 'PayPal checkout through your PayPal REST app (client id and secret, live or sandbox)'
        : 'Cards and wallets through your Stripe account (your secret key)',
    category: crypto ? 'crypto' : 'processor',
    connection_type: crypto ? 'wallet' : 'api_keys',
    status: !row ? 'disconnected' : row.enabled ? 'enabled' : 'configured',
    enabled: row?.enabled ?? false,
    health_status: row ? 'healthy' : 'disconnected',
    configuration_supported: true,
    required_input: requiredInput(method),
    connect_url: null,
    configuration_url: `${url}/configuration`,
    status_url: url,
    actionable_error: row ? null : `Not set up: PUT ${url}/configuration`,
  };
}

export function requireSetupMethod(id: string): SetupMethod {
  const method = SETUP_METHODS.find((m) => m === id.toUpperCase());
  if (!method) throw new CatalogNotFoundError('Payment method');
  return method;
}

/**
 * POST /v2/payment-methods/{method}/connect hands a seller to a provider's OAuth consent (SellApp's
 * Stripe Connect). Nothing here connects that way: Stripe takes its API keys and wallets their
 * addresses through …/configuration, so every known method answers 422 saying so.
 */
export function paymentConnectionHandoff(method: SetupMethod): never {
  const how =
    method === 'STRIPE'
      ? 'its secret key (api_key)'
      : method === 'PAYPAL'
        ? 'its REST app (client_id, client_secret, webhook_id, mode)'
        : 'its wallet address or extended public key (address)';
  throw new CatalogRuleError(
    'connection_not_supported',
    `${method} has no connection handoff here: set it up with ${how} through PUT /v2/payment-methods/${method}/configuration`,
    'paymentMethod',
  );
}
