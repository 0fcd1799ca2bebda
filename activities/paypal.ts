import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { sql } from 'kysely';
import type { Client } from '@temporalio/client';
import type { Config } from '../src/config';
import type { Db } from '../src/db/schema';
import { type InvoiceStatus, isAwaitingPayment } from '../src/domain/invoice-status';
import { GatewayError } from '../src/gateways/gateway-error';
import { gatewaySettings } from '../src/gateways/gateway-settings';
import { paypalModeOf } from '../src/gateways/paypal/client';
import type { PaypalGateway } from '../src/gateways/paypal/paypal-gateway';
import { type PaypalSettings, paypalCredentialsOf } from '../src/gateways/paypal/paypal-settings';
import { flagInvoiceForAttention } from '../src/orders/invoice-attention';
import { clearCaptureOwed } from '../src/orders/paypal-approval';
import { captureUnanswered, claimCapture, forgetCapture, lapseCapture, releaseCapture } from '../src/orders/paypal-capture-claim';
import { applyPaypalCapture } from '../src/orders/paypal-capture-result';
import { type PaypalGatewayRecord, paypalOrdersOf } from '../src/orders/paypal-order-record';
import { deliverIntents } from '../src/outbox/engine-intents';
import { recordIntent } from '../src/outbox/record-intent';
import type { SecretBox } from '../src/security/secret-box';
import type { PaypalCaptureFailure, PaypalCaptureInput, PaypalCaptureOutcome } from '../src/temporal/contracts/paypal-capture';

/** The PayPal-Request-Id of an invoice's capture: every attempt (and every starter) asks for the same capture. */
export const captureRequestId = (invoice: { id: number; store_id: number }, orderId: string) =>
  `sellflow-capture-${invoice.store_id}-${invoice.id}-${orderId}`;

export function createPaypalActivities(deps: {
  db: Db;
  secrets: SecretBox;
  paypal: PaypalGateway;
  paypalCaptureChecks: Config['paypal']['captureChecks'];
  crypto: Config['crypto'];
  community: Config['community'];
  client?: Client;
  taskQueue?: string;
}) {
  const tell = async (ids: number[]) => {
    if (deps.client && deps.taskQueue)
      await deliverIntents(
        { db: deps.db, client: deps.client, taskQueue: deps.taskQueue, crypto: deps.crypto, community: deps.community },
        { ids },
      );
  };
  return {
    /**
     * Captures the approved order with the app of the invoice's mode and applies PayPal's answer
     * (paid, pending, denied); what the engine must hear is owed there and told after commit. No
     * transaction spans PayPal's call (embedded PGlite's one connection would wait on it): a short
     * one checks the invoice still waits for its money and claims it (paypal-capture-claim.ts: a
     * void by hand is refused while PayPal may be taking the money), then PayPal is called, then
     * another applies the answer under the invoice's lock through the webhook's path. An invoice
     * no longer waiting (voided by hand before the claim) is not captured at all; one voided after
     * all (a lapsed claim) gets the capture flagged for ops as paid after the void. PayPal down is
     * retried (same request id: the capture PayPal already made answers); a refusal is final.
     */
    async capturePaypalOrder(input: PaypalCaptureInput): Promise<PaypalCaptureOutcome> {
      const token = randomUUID();
      const claimed = await deps.db.transaction().execute(async (trx) => {
        const invoice = await trx
          .selectFrom('invoices')
          .select(['id', 'store_id', 'livemode', 'gateway', 'status'])
          .where('id', '=', input.invoiceId)
          .forUpdate()
          .executeTakeFirstOrThrow();
        if (!paypalOrdersOf(invoice.gateway).includes(input.orderId))
          throw refused(`PayPal order ${input.orderId} is not one this invoice's checkout created`, null);
        // Settled meanwhile (voided by hand, paid another way): nothing to capture, unless an earlier
        // attempt's call went unanswered, when PayPal may have taken the money: then it is asked.
        const settled = !isAwaitingPayment(invoice.status as InvoiceStatus);
        if (settled) {
          await clearCaptureOwed(trx, invoice.id);
          if (!captureUnanswered(invoice.gateway)) return null;
        }
        const mode = paypalModeOf(invoice.livemode);
        const settings = await gatewaySettings<PaypalSettings>(trx, deps.secrets, invoice.store_id, 'PAYPAL');
        const credentials = settings ? paypalCredentialsOf(settings.settings, mode) : null;
        if (!credentials) throw refused(`No ${mode} PayPal app is set up for the store`, null);
        if (!settled) await claimCapture(trx, invoice.id, token);
        return { invoice, mode, credentials, settled };
      });
      if (!claimed) return 'ignored';
      const { invoice, mode, credentials, settled } = claimed;
      let order;
      try {
        // A settled invoice's order is only looked at: captured now, it would take money for nothing.
        order = settled
          ? await deps.paypal.getOrder(credentials, input.orderId)
          : await deps.paypal.captureOrder(credentials, input.orderId, captureRequestId(invoice, input.orderId));
        if (!settled && !order?.capture) throw refused(`PayPal order ${input.orderId} has no capture (${order?.status})`, null);
      } catch (error) {
        const refusal = error instanceof GatewayError && (error.kind === 'rejected' || error.kind === 'misconfigured');
        // PayPal said no: nothing was taken. Otherwise its answer is unknown: the claim lapses (a void
        // may go ahead) but marks the invoice for the retry to ask PayPal before letting the order go.
        if (!settled) {
          if (refusal || error instanceof ApplicationFailure) await releaseCapture(deps.db, invoice.id, token);
          else await lapseCapture(deps.db, invoice.id, token);
        }
        if (refusal) throw refused(error.message, error.details.issue ?? null);
        throw error;
      }
      const capture = order?.capture;
      if (!capture) {
        // PayPal took nothing before the invoice settled.
        await forgetCapture(deps.db, invoice.id);
        return 'ignored';
      }
      const { applied, ids } = await deps.db.transaction().execute(async (trx) => {
        const report = { mode, orderId: input.orderId, eventId: `capture-${capture.id}`, eventType: 'capture' };
        // On a settled invoice: the same payment already recorded, or money taken after a void, flagged for ops.
        const applied = await applyPaypalCapture(trx, invoice.id, capture, report);
        await clearCaptureOwed(trx, invoice.id);
        if (settled) await forgetCapture(trx, invoice.id);
        else await releaseCapture(trx, invoice.id, token);
        const ids: number[] = [];
        for (const intent of applied.intents) ids.push(await recordIntent(trx, intent));
        return { applied, ids };
      });
      await tell(ids);
      return applied.result;
    },

    /**
     * Asks PayPal how a capture it held as pending stands now (GET /v2/payments/captures/{id}) and
     * applies the answer through the path PayPal's webhook takes (applyPaypalCapture, under the
     * invoice's lock): whichever comes first pays, holds or voids the invoice, the other finds it
     * done. Answers what it did, and when to ask again while it is still pending (null: stop,
     * the webhook alone may finish it now).
     */
    async checkPendingPaypalCapture(input: PaypalCaptureInput & { checks: number }): Promise<PendingCaptureCheck> {
      const invoice = await deps.db
        .selectFrom('invoices')
        .select(['id', 'store_id', 'livemode', 'gateway'])
        .where('id', '=', input.invoiceId)
        .executeTakeFirstOrThrow();
      const captureId = (invoice.gateway as PaypalGatewayRecord | null)?.data?.transaction_id;
      if (!captureId) return { outcome: 'ignored', nextCheckInMs: null };
      const mode = paypalModeOf(invoice.livemode);
      const settings = await gatewaySettings<PaypalSettings>(deps.db, deps.secrets, invoice.store_id, 'PAYPAL');
      const credentials = settings ? paypalCredentialsOf(settings.settings, mode) : null;
      // The store removed its app meanwhile: asked again later (the seller may put it back), the webhook may still come.
      const capture = credentials ? await deps.paypal.getCapture(credentials, captureId) : null;
      let outcome: PaypalCaptureOutcome = 'pending';
      if (capture) {
        const { applied, ids } = await deps.db.transaction().execute(async (trx) => {
          const report = { mode, orderId: input.orderId, eventId: `check-${capture.id}-${capture.status}`, eventType: 'capture check' };
          const applied = await applyPaypalCapture(trx, invoice.id, capture, report);
          const ids: number[] = [];
          for (const intent of applied.intents) ids.push(await recordIntent(trx, intent));
          return { applied, ids };
        });
        await tell(ids);
        outcome = applied.result;
      }
      return { outcome, nextCheckInMs: outcome === 'pending' ? nextPendingCheck(deps.paypalCaptureChecks, input.checks) : null };
    },

    /**
     * The capture failed for good (PayPal refused it, or stayed down through every retry): the
     * invoice's window applies again and the reason is kept on it. A card PayPal declined
     * (INSTRUMENT_DECLINED) or an order not yet approved leaves the invoice payable: the buyer
     * approves again at the same approval link (PayPal's documented recovery) and that approval
     * starts a new capture. Anything else is flagged for ops with the reason.
     */
    async paypalCaptureFailed(input: PaypalCaptureInput & PaypalCaptureFailure): Promise<void> {
      await deps.db.transaction().execute(async (trx) => {
        const invoice = await trx
          .selectFrom('invoices')
          .select(['id', 'status', 'gateway'])
          .where('id', '=', input.invoiceId)
          .forUpdate()
          .executeTakeFirstOrThrow();
        await clearCaptureOwed(trx, invoice.id);
        if (!isAwaitingPayment(invoice.status as InvoiceStatus)) {
          // Settled meanwhile with a call still unanswered: whether PayPal took the money is unknown, a person finds out.
          if (captureUnanswered(invoice.gateway))
            await flagInvoiceForAttention(
              trx,
              invoice.id,
              `PayPal capture of order ${input.orderId} went unanswered and the invoice is ${invoice.status}: check PayPal for a capture to refund (${input.reason})`,
            );
          return;
        }
        const reason = `PayPal capture of order ${input.orderId} failed: ${input.reason}`;
        await trx
          .updateTable('invoices')
          .set({
            gateway: sql`gateway || jsonb_build_object('data', coalesce(gateway->'data', '{}'::jsonb) || jsonb_build_object('capture_failure', ${reason}::text))`,
            updated_at: new Date(),
          })
          .where('id', '=', invoice.id)
          .execute();
        if (input.issue !== null && BUYER_RECOVERS.has(input.issue)) return;
        await flagInvoiceForAttention(trx, invoice.id, reason);
      });
    },
  };
}

/** What a check of a pending capture did, and when to ask again (null: no more). */
export interface PendingCaptureCheck {
  outcome: PaypalCaptureOutcome;
  nextCheckInMs: number | null;
}

/**
 * The wait before check number `checks + 1`: the first wait doubling up to the ceiling, until the
 * waits add up to `forMs` (days: PayPal holds some payments for weeks; its webhook still counts after).
 */
export function nextPendingCheck(pacing: Config['paypal']['captureChecks'], checks: number): number | null {
  let waited = 0;
  let wait = pacing.firstMs;
  for (let i = 0; i < checks; i += 1) {
    waited += wait;
    wait = Math.min(wait * 2, pacing.ceilingMs);
  }
  return waited + wait > pacing.forMs ? null : wait;
}

/** PayPal's refusals the buyer recovers from by approving again (another card, or the approval they skipped). */
const BUYER_RECOVERS = new Set(['INSTRUMENT_DECLINED', 'ORDER_NOT_APPROVED', 'PAYER_ACTION_REQUIRED']);

/** A final refusal, with PayPal's issue code for the workflow to pass on. */
const refused = (message: string, issue: string | null) =>
  ApplicationFailure.create({ message, type: 'PaypalRefused', nonRetryable: true, details: [issue] });

export type PaypalActivities = ReturnType<typeof createPaypalActivities>;
