import { z } from 'zod';
import { gatewaySettings, saveGatewaySettings, type StripeSettings } from '../../../gateways/gateway-settings';
import type { SecretBox } from '../../../security/secret-box';
import type { ApiDependencies } from '../../context';
import { ApiError, notFound } from '../../errors';
import type { DocumentedRouter } from '../../route';

const stripeBody = z
  .object({
    enabled: z.boolean().default(true),
    secret_key: z.string().regex(/^(sk|rk)_live_[A-Za-z0-9]+$/, 'a live secret key (sk_live_… or rk_live_…)').optional(),
    test_secret_key: z.string().regex(/^(sk|rk)_test_[A-Za-z0-9]+$/, 'a test secret key (sk_test_… or rk_test_…)').optional(),
    webhook_secret: z.string().regex(/^whsec_[A-Za-z0-9]+$/, 'a webhook signing secret (whsec_…)').optional(),
  })
  .openapi('StripeSettings');

const methodParams = z.object({ method: z.enum(['STRIPE']) });

/** Shows which secrets are set, never the secrets: only the last four characters. */
function describe(settings: StripeSettings, enabled: boolean) {
  const hint = (value?: string) => (value ? `…${value.slice(-4)}` : null);
  return { method: 'STRIPE', enabled, secret_key: hint(settings.secret_key), test_secret_key: hint(settings.test_secret_key), webhook_secret: hint(settings.webhook_secret) };
}

/** Payment-method settings; Stripe here, the crypto methods come with the crypto issue. */
export function registerPaymentSettingsRoutes(router: DocumentedRouter, deps: ApiDependencies, secrets: SecretBox): void {
  router
    .route({
      method: 'put',
      path: '/settings/payment-methods/:method',
      summary: 'Configure a payment method (keys are stored encrypted and never shown again)',
      tags: ['Settings'],
      scope: 'ops:write',
      params: methodParams,
      body: stripeBody,
      response: z.object({ data: z.object({ method: z.string(), enabled: z.boolean() }).passthrough() }),
      handler: async ({ auth, body }) => {
        const current = (await gatewaySettings<StripeSettings>(deps.db, secrets, auth.store.id, 'STRIPE'))?.settings ?? {};
        const { enabled, ...keys } = body;
        const merged: StripeSettings = { ...current, ...Object.fromEntries(Object.entries(keys).filter(([, v]) => v !== undefined)) };
        if (!merged.secret_key && !merged.test_secret_key) throw new ApiError('invalid_request', 'missing_field', 'Set secret_key or test_secret_key', { param: 'secret_key', fieldErrors: { secret_key: ['required'] } });
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
      handler: async ({ auth }) => {
        const gateway = await gatewaySettings<StripeSettings>(deps.db, secrets, auth.store.id, 'STRIPE');
        if (!gateway) throw notFound('Payment method settings');
        return { data: describe(gateway.settings, gateway.enabled) };
      },
    });
}
