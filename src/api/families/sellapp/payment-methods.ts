import { z } from 'zod';
import type { SecretBox } from '../../../security/secret-box';
import type { PaypalGateway } from '../../../gateways/paypal/paypal-gateway';
import {
  configurePaymentMethod,
  enablePaymentMethod,
  paymentConnectionHandoff,
  paymentMethodStatus,
  requireSetupMethod,
  SETUP_METHODS,
} from '../../../gateways/payment-method-setup';
import type { ApiDependencies } from '../../context';
import type { DocumentedRouter } from '../../route';
import { cryptoCheckoutFields } from '../../schemas/crypto-checkout';
import { registerCustomPaymentMethodRoutes } from './custom-payment-methods';

const status = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    category: z.enum(['processor', 'crypto']),
    connection_type: z.enum(['api_keys', 'wallet']),
    status: z.enum(['disconnected', 'configured', 'enabled']),
    enabled: z.boolean(),
    health_status: z.enum(['disconnected', 'healthy']),
    configuration_supported: z.boolean(),
    required_input: z.array(z.object({ name: z.string(), type: z.string(), required: z.boolean(), secret: z.boolean() })),
    connect_url: z.string().nullable(),
    configuration_url: z.string().nullable(),
    status_url: z.string(),
    actionable_error: z.string().nullable(),
  })
  .openapi('PaymentMethodStatus');
const one = z.object({ data: status });
const params = z.object({ paymentMethod: z.string().min(1).max(32) });

/**
 * SellApp's payment methods (/v2/payment-methods): the methods Sellflow sets up through the API
 * (Stripe, PayPal, the supported crypto wallets), their status, on/off, and their configuration.
 * /v2/settings/payment-methods serves the same settings in Sellflow's own model.
 */
export function registerPaymentMethodRoutes(
  router: DocumentedRouter,
  deps: ApiDependencies,
  secrets: SecretBox,
  paypal: PaypalGateway,
): void {
  const apiBase = `${deps.config.api.publicBaseUrl}/api`;
  const common = { tags: ['Payment methods'], scope: 'ops:write' as const };
  registerCustomPaymentMethodRoutes(router, deps);

  router
    .route({
      ...common,
      method: 'get',
      path: '/payment-methods',
      summary: 'Every payment method the store can set up here, with its status (no secret is shown)',
      response: z.object({ data: z.array(status) }),
      handler: async ({ auth }) => {
        const data = [];
        for (const method of SETUP_METHODS) data.push(await paymentMethodStatus(deps.db, auth.store.id, method, apiBase));
        return { data };
      },
    })
    .route({
      ...common,
      method: 'get',
      path: '/payment-methods/:paymentMethod',
      summary: 'One payment method’s status',
      params,
      response: one,
      handler: async ({ auth, params }) => ({
        data: await paymentMethodStatus(deps.db, auth.store.id, requireSetupMethod(params.paymentMethod), apiBase),
      }),
    })
    .route({
      ...common,
      method: 'patch',
      path: '/payment-methods/:paymentMethod',
      summary: 'Turn a set-up payment method on or off at checkout',
      params,
      body: z.object({ enabled: z.boolean() }).strict(),
      response: one,
      handler: async ({ auth, params, body }) => {
        const method = requireSetupMethod(params.paymentMethod);
        await enablePaymentMethod(deps.db, auth.store.id, method, body.enabled);
        return { data: await paymentMethodStatus(deps.db, auth.store.id, method, apiBase) };
      },
    })
    .route({
      ...common,
      method: 'post',
      path: '/payment-methods/:paymentMethod/connect',
      summary: 'A provider connection handoff (OAuth): none of the methods here connects that way, so this answers 422',
      params,
      response: z.object({
        data: z.object({ payment_method: z.string(), connect_url: z.string(), status_url: z.string(), expires_at: z.string() }),
      }),
      handler: ({ params }) => paymentConnectionHandoff(requireSetupMethod(params.paymentMethod)),
    })
    .route({
      ...common,
      method: 'put',
      path: '/payment-methods/:paymentMethod/configuration',
      summary:
        'Check and save a method’s setup: Stripe’s secret key (api_key), PayPal’s REST app (client_id, client_secret, webhook_id; mode live or sandbox, checked with PayPal), a wallet’s address or extended public key and its crypto checkout settings',
      params,
      body: z
        .object({
          api_key: z.string().max(255).optional(),
          webhook_secret: z.string().max(255).optional(),
          client_id: z
            .string()
            .regex(/^[A-Za-z0-9_-]{8,128}$/, 'a PayPal REST app client id')
            .optional(),
          client_secret: z
            .string()
            .regex(/^[A-Za-z0-9_-]{8,256}$/, 'a PayPal REST app secret')
            .optional(),
          webhook_id: z
            .string()
            .regex(/^[A-Za-z0-9]{1,64}$/, 'a PayPal webhook id')
            .optional(),
          mode: z.enum(['live', 'sandbox']).optional(),
          address: z.string().min(1).max(200).optional(),
          min_withdraw_amount: z
            .union([z.number(), z.string().max(40)])
            .nullable()
            .optional(),
          wallet_rpc_url: z.url().max(500).optional(),
          ...cryptoCheckoutFields,
        })
        .strict(),
      response: one,
      handler: async ({ auth, params, body }) => {
        const method = requireSetupMethod(params.paymentMethod);
        await configurePaymentMethod(deps.db, { secrets, paypal }, auth.store.id, method, body);
        return { data: await paymentMethodStatus(deps.db, auth.store.id, method, apiBase) };
      },
    });
}
