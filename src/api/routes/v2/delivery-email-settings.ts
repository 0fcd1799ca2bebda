import { z } from 'zod';
import { type DeliveryEmailSettings, deliveryEmailSettings, saveDeliveryEmailSettings } from '../../../orders/delivery-email-settings';
import type { ApiDependencies } from '../../context';
import type { DocumentedRouter } from '../../route';

const address = z.email().max(254).nullable().optional();
const body = z
  .object({ send_delivery_email: z.boolean().optional(), reply_to_email: address, trustpilot_email: address })
  .strict()
  .openapi('DeliveryEmailSettingsChange');
const view = z
  .object({ send_delivery_email: z.boolean(), reply_to_email: z.string().nullable(), trustpilot_email: z.string().nullable() })
  .openapi('DeliveryEmailSettings');

const present = (s: DeliveryEmailSettings): z.infer<typeof view> => ({
  send_delivery_email: s.sendDeliveryEmail,
  reply_to_email: s.replyToEmail,
  trustpilot_email: s.trustpilotEmail,
});

/** The buyer's delivery e-mail: whether it is sent, its Reply-To, the Trustpilot BCC. */
export function registerDeliveryEmailSettingsRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  router
    .route({
      method: 'get',
      path: '/settings/delivery-email',
      summary: 'Delivery e-mail settings: Send Delivery Email, the Reply-To address, the Trustpilot BCC address',
      tags: ['Settings'],
      scope: 'ops:write',
      response: z.object({ data: view }),
      handler: async ({ auth }) => ({ data: present(await deliveryEmailSettings(deps.db, auth.store.id)) }),
    })
    .route({
      method: ['patch', 'put'],
      path: '/settings/delivery-email',
      summary: 'Change delivery e-mail settings (only the fields sent; an address set to null is removed)',
      tags: ['Settings'],
      scope: 'ops:write',
      body,
      response: z.object({ data: view }),
      handler: async ({ auth, body: change }) => ({
        data: present(
          await saveDeliveryEmailSettings(deps.db, auth.store.id, {
            sendDeliveryEmail: change.send_delivery_email,
            replyToEmail: change.reply_to_email,
            trustpilotEmail: change.trustpilot_email,
          }),
        ),
      }),
    });
}
