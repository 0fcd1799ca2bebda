import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Config } from '../src/config';
import type { Db } from '../src/db/schema';
import { GatewayError } from '../src/gateways/gateway-error';
import { gatewaySettings } from '../src/gateways/gateway-settings';
import { paypalModeOf } from '../src/gateways/paypal/client';
import type { PaypalGateway } from '../src/gateways/paypal/paypal-gateway';
import { type PaypalSettings, paypalCredentialsOf } from '../src/gateways/paypal/paypal-settings';
import { applyPaypalCapture } from '../src/orders/paypal-capture-result';
import { paypalOrdersOf } from '../src/orders/paypal-order-record';
import { deliverIntents } from '../src/outbox/engine-intents';
import { recordIntent } from '../src/outbox/record-intent';
import type { SecretBox } from '../src/security/secret-box';
import type { PaypalCaptureInput, PaypalCaptureOutcome } from '../src/temporal/contracts/paypal-capture';

/** The PayPal-Request-Id of an invoice's capture: every attempt (and every starter) asks for the same capture. */
export const captureRequestId = (invoice: { id: number; store_id: number }, orderId: string) =>
  `sellflow-capture-${invoice.store_id}-${invoice.id}-${orderId}`;

export function createPaypalActivities(deps: {
  db: Db;
  secrets: SecretBox;
  paypal: PaypalGateway;
  crypto: Config['crypto'];
  community: Config['community'];
  client?: Client;
  taskQueue?: string;
}) {
  return {
    /**
     * Captures the approved order with the app of the invoice's mode and applies PayPal's answer
     * (paid, pending, denied) in one transaction; what the engine must hear is owed there and told
     * after commit. PayPal down is retried (same request id); a refusal is final.
     */
    async capturePaypalOrder(input: PaypalCaptureInput): Promise<PaypalCaptureOutcome> {
      const invoice = await deps.db
        .selectFrom('invoices')
        .select(['id', 'store_id', 'livemode', 'gateway'])
        .where('id', '=', input.invoiceId)
        .executeTakeFirstOrThrow();
      if (!paypalOrdersOf(invoice.gateway).includes(input.orderId))
        throw ApplicationFailure.nonRetryable(`PayPal order ${input.orderId} is not one this invoice's checkout created`, 'PaypalRefused');
      const mode = paypalModeOf(invoice.livemode);
      const settings = await gatewaySettings<PaypalSettings>(deps.db, deps.secrets, invoice.store_id, 'PAYPAL');
      const credentials = settings ? paypalCredentialsOf(settings.settings, mode) : null;
      if (!credentials) throw ApplicationFailure.nonRetryable(`No ${mode} PayPal app is set up for the store`, 'PaypalRefused');
      let order;
      try {
        order = await deps.paypal.captureOrder(credentials, input.orderId, captureRequestId(invoice, input.orderId));
      } catch (error) {
        if (error instanceof GatewayError && (error.kind === 'rejected' || error.kind === 'misconfigured'))
          throw ApplicationFailure.nonRetryable(error.message, 'PaypalRefused');
        throw error;
      }
      if (!order.capture)
        throw ApplicationFailure.nonRetryable(`PayPal order ${input.orderId} has no capture (${order.status})`, 'PaypalRefused');
      const capture = order.capture;
      const { applied, ids } = await deps.db.transaction().execute(async (trx) => {
        const report = { mode, orderId: input.orderId, eventId: `capture-${capture.id}`, eventType: 'capture' };
        const applied = await applyPaypalCapture(trx, invoice.id, capture, report);
        const ids: number[] = [];
        for (const intent of applied.intents) ids.push(await recordIntent(trx, intent));
        return { applied, ids };
      });
      if (deps.client && deps.taskQueue)
        await deliverIntents(
          { db: deps.db, client: deps.client, taskQueue: deps.taskQueue, crypto: deps.crypto, community: deps.community },
          { ids },
        );
      return applied.result;
    },
  };
}

export type PaypalActivities = ReturnType<typeof createPaypalActivities>;
