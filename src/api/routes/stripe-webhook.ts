import express, { Router } from 'express';
import Stripe from 'stripe';
import { findStoreBySlug } from '../../accounts/stores';
import { gatewaySettings, type StripeSettings } from '../../gateways/gateway-settings';
import { checkStripeEvent } from '../../gateways/stripe-event-shape';
import { stripeInvoicePaidByEventPayment } from '../../gateways/stripe-paid-invoice';
import type { StripeGateway } from '../../gateways/stripe-gateway';
import { applyStripeEvent } from '../../orders/stripe-events';
import type { SecretBox } from '../../security/secret-box';
import { deliverIntents } from '../../outbox/engine-intents';
import type { ApiDependencies } from '../context';
import { engineOf } from '../engine';
import { ApiError, notFound } from '../errors';
import { findUnsafeText } from '../middleware/input-guard';
import { applyGatewayEvent } from './apply-gateway-event';

/**
 * POST /webhooks/stripe/{store}: Stripe's events for one store, verified with that store's
 * webhook secret over the raw body before anything is read from them.
 */
export function stripeWebhookRouter(deps: ApiDependencies, stripe: StripeGateway, secrets: SecretBox): Router {
  const router = Router();
  router.post('/webhooks/stripe/:store', express.raw({ type: '*/*', limit: '1mb' }), async (req, res) => {
    const store = await findStoreBySlug(deps.db, String(req.params.store));
    if (!store) throw notFound('Store');
    const gateway = await gatewaySettings<StripeSettings>(deps.db, secrets, store.id, 'STRIPE');
    if (!gateway?.settings.webhook_secret)
      throw new ApiError('invalid_request', 'gateway_not_configured', 'Stripe webhooks are not configured for this store');
    let verified: unknown;
    try {
      verified = stripe.verifyEvent(req.body as Buffer, req.get('stripe-signature') ?? '', gateway.settings.webhook_secret);
    } catch (error) {
      if (!(error instanceof Stripe.errors.StripeSignatureVerificationError)) {
        throw new ApiError('invalid_request', 'invalid_event', 'The signed body is not a JSON Stripe event', { param: 'body' });
      }
      throw new ApiError('invalid_request', 'invalid_signature', 'The Stripe-Signature header does not match this payload', {
        param: 'Stripe-Signature',
      });
    }
    // Signed is not well-formed: an event we cannot read is refused before anything is stored.
    // Text Postgres cannot store (NUL, a lone surrogate) makes it no event we can keep either.
    const unsafe = findUnsafeText(verified);
    if (unsafe) {
      throw new ApiError(
        'invalid_request',
        'invalid_event',
        `Not a Stripe event we can read: ${unsafe.param} holds text that cannot be stored`,
        { param: unsafe.param },
      );
    }
    const checked = checkStripeEvent(verified);
    if (!checked.ok) {
      const message = `Not a Stripe event we can read: ${checked.message}`;
      throw new ApiError('invalid_request', 'invalid_event', message, { param: checked.param });
    }
    const event = checked.event;
    let paidInvoice: string | null;
    try {
      paidInvoice = await stripeInvoicePaidByEventPayment(deps.db, secrets, stripe, store.id, event);
    } catch (error) {
      if (!(error instanceof Stripe.errors.StripeError)) throw error;
      // Which order a dispute or refund is about cannot wait: Stripe delivers the event again.
      throw new ApiError(
        'service_unavailable',
        'gateway_unavailable',
        'Stripe could not say which invoice the disputed or refunded payment paid; send it again',
      );
    }
    const outcome = await applyGatewayEvent('Stripe', () => applyStripeEvent(deps.db, store.id, event, paidInvoice));
    await deliverIntents(engineOf(deps), { ids: outcome.intents });
    res.json({
      received: true,
      duplicate: outcome.duplicate,
      invoice_id: outcome.invoiceId,
      subscription_id: outcome.subscriptionId,
      // paid, same_payment, partial, mismatch (kept, flagged for ops), refunded, disputed, unmatched, ignored
      outcome: outcome.result,
      reason: outcome.reason,
    });
  });
  return router;
}
