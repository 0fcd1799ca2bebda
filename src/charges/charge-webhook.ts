import type { Db } from '../db/schema';
import { callDynamicWebhook } from '../orders/dynamic-webhook';
import { storeWebhookSecret } from '../orders/store-webhook-secret';
import type { SecretBox } from '../security/secret-box';

/**
 * Tells a charge's own `webhook` URL that its status changed: `{event: "charge.updated",
 * data: {id, status, …}}`, signed like dynamic deliveries (`signature` = hex HMAC-SHA256 of
 * the body with the store's webhook secret), with the event id as Idempotency-Key.
 */
export async function postChargeWebhook(
  ctx: { db: Db; secrets: SecretBox; allowPrivateNetworks: boolean },
  eventId: string,
): Promise<'sent' | 'no_webhook'> {
  const event = await ctx.db.selectFrom('events').select(['id', 'data', 'created_at']).where('id', '=', eventId).executeTakeFirstOrThrow();
  const chargeId = Number(event.data.id);
  const charge = await ctx.db
    .selectFrom('invoices')
    .select(['id', 'store_id', 'livemode', 'customer_email', 'currency', 'total_cents', 'charge'])
    .where('id', '=', chargeId)
    .where('kind', '=', 'CHARGE')
    .executeTakeFirstOrThrow();
  const details = (charge.charge ?? {}) as { webhook?: string; reference?: string; metadata?: unknown };
  if (!details.webhook) return 'no_webhook';
  await callDynamicWebhook({
    url: details.webhook,
    secret: await storeWebhookSecret(ctx.db, ctx.secrets, charge.store_id),
    idempotencyKey: event.id,
    allowPrivate: ctx.allowPrivateNetworks,
    payload: {
      event: 'charge.updated',
      created: event.created_at.toISOString(),
      data: {
        id: charge.id,
        status: event.data.status,
        email: charge.customer_email,
        currency: charge.currency,
        total: charge.total_cents,
        reference: details.reference ?? null,
        metadata: details.metadata ?? {},
        livemode: charge.livemode,
      },
    },
  });
  return 'sent';
}
