import { z } from 'zod';
import { type CheckoutSettings, checkoutSettings, saveCheckoutSettings } from '../../../orders/checkout-settings';
import type { ApiDependencies } from '../../context';
import type { DocumentedRouter } from '../../route';
import { checkoutSettingsBody, checkoutSettingsView } from '../../schemas/checkout-settings';

function present(settings: CheckoutSettings): z.infer<typeof checkoutSettingsView> {
  const { limits } = settings;
  return {
    embed_allowed_origins: settings.allowedOrigins,
    blacklist_on_dispute: settings.blacklistOnDispute,
    disable_checkout_email: settings.checkoutEmailDisabled,
    checkout_rate_limits: {
      ip_email_per_hour: limits.ipEmail,
      ip_per_hour: limits.ip,
      email_per_hour: limits.email,
      fingerprint_per_hour: limits.fingerprint,
      window_seconds: limits.windowSeconds,
    },
  };
}

/** The store's checkout settings: fast-checkout origins, Blacklist On Dispute, Disable Checkout Email, the attempt limits. */
export function registerCheckoutSettingsRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  router
    .route({
      method: 'get',
      path: '/settings/checkout',
      summary:
        'Checkout settings: sites allowed to embed fast checkout, Blacklist On Dispute, Disable Checkout Email, invoice-creation attempt limits',
      tags: ['Settings'],
      scope: 'ops:write',
      response: z.object({ data: checkoutSettingsView }),
      handler: async ({ auth }) => ({ data: present(await checkoutSettings(deps.db, auth.store.id)) }),
    })
    .route({
      method: ['patch', 'put'],
      path: '/settings/checkout',
      summary: 'Change checkout settings (only the fields sent; a limit set to null or "" is off)',
      tags: ['Settings'],
      scope: 'ops:write',
      body: checkoutSettingsBody,
      response: z.object({ data: checkoutSettingsView }),
      handler: async ({ auth, body }) => {
        const limits = body.checkout_rate_limits;
        const saved = await saveCheckoutSettings(deps.db, auth.store.id, {
          allowedOrigins: body.embed_allowed_origins,
          blacklistOnDispute: body.blacklist_on_dispute,
          checkoutEmailDisabled: body.disable_checkout_email,
          limits: limits && {
            ipEmail: limits.ip_email_per_hour,
            ip: limits.ip_per_hour,
            email: limits.email_per_hour,
            fingerprint: limits.fingerprint_per_hour,
            windowSeconds: limits.window_seconds,
          },
        });
        return { data: present(saved) };
      },
    });
}
