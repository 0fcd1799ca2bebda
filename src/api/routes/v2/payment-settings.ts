import { z } from 'zod';
import { configuredMethods, gatewaySettings, saveGatewaySettings, type StripeSettings } from '../../../gateways/gateway-settings';
import { CRYPTO_COINS, type CryptoMethod, type SupportedCryptoMethod } from '../../../gateways/crypto/coins';
import { type CryptoWalletSettings, describeWallet } from '../../../gateways/crypto/wallet-settings';
import { configureWallet } from '../../../gateways/payment-method-setup';
import type { PaypalGateway } from '../../../gateways/paypal/paypal-gateway';
import { configurePaypal, describePaypal, type PaypalSettings } from '../../../gateways/paypal/paypal-settings';
import { cryptoCheckoutFields } from '../../schemas/crypto-checkout';
import type { SecretBox } from '../../../security/secret-box';
import type { ApiDependencies } from '../../context';
import { ApiError, notFound, validationFailed } from '../../errors';
import type { RequestAuth } from '../../middleware/authenticate';
import type { DocumentedRouter } from '../../route';

const stripeBody = z
  .object({
    enabled: z.boolean().default(true),
    secret_key: z
      .string()
      .regex(/^(sk|rk)_live_[A-Za-z0-9]+$/, 'a live secret key (sk_live_… or rk_live_…)')
      .optional(),
    test_secret_key: z
      .string()
      .regex(/^(sk|rk)_test_[A-Za-z0-9]+$/, 'a test secret key (sk_test_… or rk_test_…)')
      .optional(),
    webhook_secret: z
      .string()
      .regex(/^whsec_[A-Za-z0-9]+$/, 'a webhook signing secret (whsec_…)')
      .optional(),
  })
  .openapi('StripeSettings');

const paypalClientId = z.string().regex(/^[A-Za-z0-9_-]{8,128}$/, 'a PayPal REST app client id');
const paypalSecret = z.string().regex(/^[A-Za-z0-9_-]{8,256}$/, 'a PayPal REST app secret');
const paypalWebhookId = z.string().regex(/^[A-Za-z0-9]{1,64}$/, 'a PayPal webhook id');

/** PayPal's REST apps: the live one pays live invoices, the sandbox one test invoices. */
export const paypalBody = z
  .object({
    enabled: z.boolean().default(true),
    client_id: paypalClientId.optional(),
    client_secret: paypalSecret.optional(),
    webhook_id: paypalWebhookId.optional(),
    sandbox_client_id: paypalClientId.optional(),
    sandbox_client_secret: paypalSecret.optional(),
    sandbox_webhook_id: paypalWebhookId.optional(),
  })
  .strict()
  .openapi('PaypalSettings');

/** BTC, LTC: `xpub` (xpub/ypub/zpub, Ltub/Mtub); account-based coins: `address`. */
const walletBody = z
  .object({
    enabled: z.boolean().default(true),
    xpub: z.string().min(1).max(200).optional(),
    address: z.string().min(1).max(200).optional(),
    minimum_withdrawal: z.number().min(0).max(1_000_000_000).nullable().optional(),
    /** XMR only: your monero-wallet-rpc with a view-only wallet of the address. */
    wallet_rpc_url: z.string().url().max(500).optional(),
    ...cryptoCheckoutFields,
  })
  .strict()
  .openapi('CryptoWalletSettings');

const CRYPTO_SETTINGS_METHODS = (Object.keys(CRYPTO_COINS) as CryptoMethod[]).filter(
  (m): m is SupportedCryptoMethod => CRYPTO_COINS[m].supported,
);
const methodParams = z.object({ method: z.enum(['STRIPE', 'PAYPAL', ...CRYPTO_SETTINGS_METHODS]) });
const settingsBody = z.union([stripeBody, paypalBody, walletBody]);

/** Shows which secrets are set, never the secrets: only the last four characters. */
function describe(settings: StripeSettings, enabled: boolean) {
  const hint = (value?: string) => (value ? `…${value.slice(-4)}` : null);
  return {
    method: 'STRIPE',
    enabled,
    secret_key: hint(settings.secret_key),
    test_secret_key: hint(settings.test_secret_key),
    webhook_secret: hint(settings.webhook_secret),
  };
}

/**
 * Payment-method settings: Stripe keys, PayPal's REST apps (checked with PayPal on save), and the crypto wallets payments go to (an extended
 * public key for BTC/LTC, an address for the others). Keys are checked on save: a private key,
 * a wrong network or garbage is refused with 422 and never stored.
 */
export function registerPaymentSettingsRoutes(
  router: DocumentedRouter,
  deps: ApiDependencies,
  secrets: SecretBox,
  paypal: PaypalGateway,
): void {
  const describeMethod = async (auth: RequestAuth, method: string, settings: unknown, enabled: boolean) =>
    method === 'STRIPE'
      ? describe(settings as StripeSettings, enabled)
      : method === 'PAYPAL'
        ? describePaypal(settings as PaypalSettings, enabled)
        : describeWallet(deps.db, auth.store.id, method as SupportedCryptoMethod, settings as CryptoWalletSettings, enabled);

  const savePaypal = async (auth: RequestAuth, raw: unknown) => {
    const parsed = paypalBody.safeParse(raw ?? {});
    if (!parsed.success) throw validationFailed(parsed.error, 'body');
    const { enabled, ...f } = parsed.data;
    const saved = await configurePaypal(
      deps.db,
      secrets,
      paypal,
      auth.store.id,
      {
        live: { client_id: f.client_id, client_secret: f.client_secret, webhook_id: f.webhook_id },
        sandbox: { client_id: f.sandbox_client_id, client_secret: f.sandbox_client_secret, webhook_id: f.sandbox_webhook_id },
      },
      enabled,
    );
    return describePaypal(saved.settings, saved.enabled);
  };

  const saveWallet = async (auth: RequestAuth, method: SupportedCryptoMethod, raw: unknown) => {
    const parsed = walletBody.safeParse(raw ?? {});
    if (!parsed.success) throw validationFailed(parsed.error, 'body');
    const { enabled, ...fields } = parsed.data;
    const settings = await configureWallet(deps.db, secrets, auth.store.id, method, fields, enabled);
    return describeWallet(deps.db, auth.store.id, method, settings, enabled);
  };

  router
    .route({
      method: 'get',
      path: '/settings/payment-methods',
      summary: 'Every configured payment method (secrets masked; wallets with their derivation progress)',
      tags: ['Settings'],
      scope: 'ops:write',
      response: z.object({ data: z.array(z.object({ method: z.string(), enabled: z.boolean() }).passthrough()) }),
      handler: async ({ auth }) => {
        const data = [];
        for (const method of await configuredMethods(deps.db, auth.store.id)) {
          const gateway = await gatewaySettings<unknown>(deps.db, secrets, auth.store.id, method);
          if (gateway) data.push(await describeMethod(auth, method, gateway.settings, gateway.enabled));
        }
        return { data };
      },
    })

    .route({
      method: 'put',
      path: '/settings/payment-methods/:method',
      summary: 'Configure a payment method (keys are stored encrypted and never shown again)',
      tags: ['Settings'],
      scope: 'ops:write',
      params: methodParams,
      // Documents both shapes; each method's own schema checks the raw body below.
      body: settingsBody,
      response: z.object({ data: z.object({ method: z.string(), enabled: z.boolean() }).passthrough() }),
      handler: async ({ auth, params, req }) => {
        const raw: unknown = req.body;
        if (params.method === 'PAYPAL') return { data: await savePaypal(auth, raw) };
        if (params.method !== 'STRIPE') {
          // Wallets serve live and test invoices alike: only a live key points them somewhere.
          return { data: await saveWallet(auth, params.method, raw) };
        }
        const parsedStripe = stripeBody.safeParse(raw ?? {});
        if (!parsedStripe.success) throw validationFailed(parsedStripe.error, 'body');
        const body = parsedStripe.data;
        const current = (await gatewaySettings<StripeSettings>(deps.db, secrets, auth.store.id, 'STRIPE'))?.settings ?? {};
        const { enabled, ...keys } = body;
        const merged: StripeSettings = { ...current, ...Object.fromEntries(Object.entries(keys).filter(([, v]) => v !== undefined)) };
        if (!merged.secret_key && !merged.test_secret_key)
          throw new ApiError('invalid_request', 'missing_field', 'Set secret_key or test_secret_key', {
            param: 'secret_key',
            fieldErrors: { secret_key: ['required'] },
          });
        await saveGatewaySettings(deps.db, secrets, auth.store.id, 'STRIPE', enabled, merged);
        return { data: describe(merged, enabled) };
      },
    })
    .route({
      method: 'get',
      path: '/settings/payment-methods/:method',
      summary: 'A payment method’s settings (secrets masked)',
      tags: ['Settings'],
      scope: 'ops:write',
      params: methodParams,
      response: z.object({ data: z.object({ method: z.string(), enabled: z.boolean() }).passthrough() }),
      handler: async ({ auth, params }) => {
        const gateway = await gatewaySettings<unknown>(deps.db, secrets, auth.store.id, params.method);
        if (!gateway) throw notFound('Payment method settings');
        return { data: await describeMethod(auth, params.method, gateway.settings, gateway.enabled) };
      },
    });
}
