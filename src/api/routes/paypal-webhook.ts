import express, { Router } from 'express';
import { findStoreBySlug } from '../../accounts/stores';
import { gatewaySettings } from '../../gateways/gateway-settings';
import type { PaypalMode } from '../../gateways/paypal/client';
import { checkPaypalEvent } from '../../gateways/paypal/paypal-event-shape';
import type { PaypalGateway } from '../../gateways/paypal/paypal-gateway';
import { type PaypalSettings, paypalCredentialsOf, paypalWebhookIdOf } from '../../gateways/paypal/paypal-settings';
import { applyPaypalEvent } from '../../orders/paypal-events';
import { deliverIntents } from '../../outbox/engine-intents';
import type { SecretBox } from '../../security/secret-box';
import { isPaypalSubscriptionEvent } from '../../subscriptions/paypal-subscription-events';
import { applyPaypalSubscriptionWebhook } from '../../subscriptions/paypal-subscription-webhook';
import { applyGatewayEvent } from './apply-gateway-event';
import type { ApiDependencies } from '../context';
import { engineOf } from '../engine';
import { ApiError, notFound } from '../errors';
import { findUnsafeText } from '../middleware/input-guard';

const MODES: readonly PaypalMode[] = ['live', 'sandbox'];

/**
 * POST /webhooks/paypal/{store}/{live|sandbox}: PayPal's events for one of the store's REST apps.
 * Each is verified with PayPal (verify-webhook-signature, with that app's webhook id) before
 * anything is read from it; only then is it applied, once per event id.
 */
export function paypalWebhookRouter(deps: ApiDependencies, paypal: PaypalGateway, secrets: SecretBox): Router {
  const router = Router();
  router.post('/webhooks/paypal/:store/:mode', express.raw({ type: '*/*', limit: '1mb' }), async (req, res) => {
    const mode = MODES.find((m) => m === req.params.mode);
    const store = mode ? await findStoreBySlug(deps.db, String(req.params.store)) : undefined;
    if (!mode || !store) throw notFound('Store');
    const gateway = await gatewaySettings<PaypalSettings>(deps.db, secrets, store.id, 'PAYPAL');
    const credentials = gateway ? paypalCredentialsOf(gateway.settings, mode) : null;
    const webhookId = gateway ? paypalWebhookIdOf(gateway.settings, mode) : null;
    if (!credentials || !webhookId)
      throw new ApiError('invalid_request', 'gateway_not_configured', `PayPal ${mode} webhooks are not configured for this store`);
    const header = (name: string) => req.get(name) ?? '';
    const transmission = {
      authAlgo: header('paypal-auth-algo'),
      certUrl: header('paypal-cert-url'),
      transmissionId: header('paypal-transmission-id'),
      transmissionSig: header('paypal-transmission-sig'),
      transmissionTime: header('paypal-transmission-time'),
    };
    const refused = () =>
      new ApiError('invalid_request', 'invalid_signature', 'PayPal did not verify this delivery for the store’s webhook', {
        param: 'PAYPAL-TRANSMISSION-SIG',
      });
    if (Object.values(transmission).some((v) => v === '' || v.length > 2000)) throw refused();
    const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new ApiError('invalid_request', 'invalid_event', 'The body is not a JSON PayPal event', { param: 'body' });
    }
    // PayPal verifies the event as it sent it: the raw text goes to verify-webhook-signature.
    // GatewayError when PayPal cannot be asked: 502 with Retry-After, and PayPal delivers again.
    if (!(await paypal.verifyWebhook(credentials, webhookId, transmission, raw))) throw refused();
    const unsafe = findUnsafeText(parsed);
    if (unsafe)
      throw new ApiError(
        'invalid_request',
        'invalid_event',
        `Not a PayPal event we can read: ${unsafe.param} holds text that cannot be stored`,
        {
          param: unsafe.param,
        },
      );
    const checked = checkPaypalEvent(parsed);
    if (!checked.ok)
      throw new ApiError('invalid_request', 'invalid_event', `Not a PayPal event we can read: ${checked.message}`, {
        param: checked.param,
      });
    if (isPaypalSubscriptionEvent(checked.event)) {
      // A subscription's lifecycle and payments: the same subscription workflow Stripe's drive.
      const applied = await applyGatewayEvent('PayPal', () =>
        applyPaypalSubscriptionWebhook(deps.db, store.id, mode === 'live', checked.event),
      );
      await deliverIntents(engineOf(deps), { ids: applied.intents });
      res.json({
        received: true,
        duplicate: applied.duplicate,
        invoice_id: applied.invoiceId,
        subscription_id: applied.subscriptionId,
        outcome: applied.result,
        reason: applied.reason,
      });
      return;
    }
    const outcome = await applyGatewayEvent('PayPal', () => applyPaypalEvent(deps.db, store.id, mode, checked.event));
    await deliverIntents(engineOf(deps), { ids: outcome.intents });
    res.json({
      received: true,
      duplicate: outcome.duplicate,
      invoice_id: outcome.invoiceId,
      ...(outcome.subscriptionId !== null ? { subscription_id: outcome.subscriptionId } : {}),
      outcome: outcome.result,
      reason: outcome.reason,
    });
  });
  return router;
}
