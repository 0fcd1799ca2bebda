import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { Db, DeliveryStepKind } from '../src/db/schema';
import type { InvoiceStatus } from '../src/domain/invoice-status';
import { recordEvent } from '../src/events/record';
import { markStepFailed, planDelivery, resetSteps, runStep, skipSteps, type StepState } from '../src/orders/delivery';
import { PermanentDeliveryError } from '../src/orders/dynamic-webhook';
import { expireUnpaidInvoice, transitionInvoice } from '../src/orders/invoice-transitions';
import type { SecretBox } from '../src/security/secret-box';
import type { Client } from '@temporalio/client';
import { sendFulfillmentNotices } from '../src/orders/fulfillment-notices';
import { DELIVERY_HELD_BY_DISPUTE, type FulfillmentNoticeRequest } from '../src/temporal/contracts/order';
import { DisputeHoldError } from '../src/refunds/taken-back';
import { flagDeliveryEmailFailure, ORDER_SEND_KEY, sendDeliveryEmail, type DeliveryEmailOutcome } from '../src/orders/delivery-email';
import type { ObjectStorage } from '../src/storage/object-storage';
import type { NotificationConfig } from '../src/webhooks/notifications';
import { smtpSendFailure } from './smtp-failure';

export const PERMANENT_DELIVERY_FAILURE = 'PermanentDeliveryFailure';

/** The order workflow's side effects. Each is idempotent: a retry finds its own work done. */
export function createOrderActivities(deps: {
  db: Db;
  secrets: SecretBox;
  allowPrivateNetworks: boolean;
  client?: Client;
  taskQueue?: string;
  /** The buyer's delivery e-mail: download links are signed by `storage`, mail goes to SMTP_URL. */
  storage?: ObjectStorage;
  notifications?: NotificationConfig;
}) {
  const { db } = deps;
  const mailer = deps.storage && deps.notifications ? { storage: deps.storage, mail: deps.notifications } : undefined;
  return {
    /** PENDING/REVIEW → PAID, once; reports the status either way (VOIDED means the void won). */
    async markInvoicePaid(input: { invoiceId: number }): Promise<{ status: InvoiceStatus }> {
      const result = await db
        .transaction()
        .execute((trx) =>
          transitionInvoice(trx, input.invoiceId, 'PAID', { event: 'order.paid', quiet: true, also: { paid_at: new Date() } }),
        );
      log.info('invoice marked paid', { invoiceId: input.invoiceId, status: result.status });
      return { status: result.status };
    },

    /** The payment window closed: PENDING → VOIDED unless a payment got there first. */
    async expireInvoice(input: { invoiceId: number }): Promise<{ status: InvoiceStatus }> {
      const result = await db.transaction().execute((trx) => expireUnpaidInvoice(trx, input.invoiceId));
      return { status: result.status };
    },

    async invoiceStatus(input: { invoiceId: number }): Promise<{ status: InvoiceStatus }> {
      const row = await db.selectFrom('invoices').select('status').where('id', '=', input.invoiceId).executeTakeFirstOrThrow();
      return { status: row.status as InvoiceStatus };
    },

    async planDelivery(input: { invoiceId: number }): Promise<StepState[]> {
      return planDelivery(db, input.invoiceId);
    },

    async runDeliveryStep(input: { stepId: number }): Promise<void> {
      try {
        await runStep({ ...deps, cancelled: Context.current().cancellationSignal }, input.stepId);
      } catch (error) {
        // The step's order is the workflow's (workflowId order-<invoice id>, in this line's meta).
        log.warn('delivery step attempt failed', { stepId: input.stepId, error: error instanceof Error ? error.message : String(error) });
        if (error instanceof PermanentDeliveryError) throw ApplicationFailure.nonRetryable(error.message, PERMANENT_DELIVERY_FAILURE);
        if (error instanceof DisputeHoldError) throw ApplicationFailure.nonRetryable(error.message, DELIVERY_HELD_BY_DISPUTE);
        throw error;
      }
    },

    async markStepFailed(input: { stepId: number; reason: string }): Promise<void> {
      await markStepFailed(db, input.stepId, input.reason);
    },

    async resetFailedSteps(input: { invoiceId: number; kinds?: DeliveryStepKind[]; stepIds?: number[] }): Promise<StepState[]> {
      return resetSteps(db, input.invoiceId, input.kinds, input.stepIds);
    },

    async skipFailedSteps(input: { invoiceId: number; kinds?: DeliveryStepKind[]; stepIds?: number[] }): Promise<StepState[]> {
      return skipSteps(db, input.invoiceId, input.kinds, input.stepIds);
    },

    /** The fulfillment-notifications Update: the order's notices again, once per `resendKey`. */
    async sendFulfillmentNotices(input: { invoiceId: number; resendKey: string } & FulfillmentNoticeRequest): Promise<{ sent: number }> {
      if (!deps.client || !deps.taskQueue) throw ApplicationFailure.nonRetryable('This worker has no Temporal client to send notices with');
      const sent = await sendFulfillmentNotices({ db, client: deps.client, taskQueue: deps.taskQueue, mailer }, input.invoiceId, input);
      return { sent };
    },

    /** The delivered order's e-mail to its buyer, once (a retry finds it sent). */
    async sendDeliveryEmail(input: { invoiceId: number }): Promise<DeliveryEmailOutcome> {
      if (!mailer) throw ApplicationFailure.nonRetryable('This worker has no mail settings to send the delivery e-mail with');
      let outcome: DeliveryEmailOutcome;
      try {
        outcome = await sendDeliveryEmail({ db, ...mailer }, input.invoiceId, { sendKey: ORDER_SEND_KEY });
      } catch (error) {
        throw smtpSendFailure(error);
      }
      log.info('delivery e-mail', { invoiceId: input.invoiceId, status: outcome.status });
      return outcome;
    },

    /** The e-mail could not go out: the COMPLETED order is flagged for ops with why. */
    async flagDeliveryEmailFailure(input: { invoiceId: number; reason: string }): Promise<void> {
      await flagDeliveryEmailFailure(db, input.invoiceId, input.reason);
    },

    /** Flags (or clears) the order for ops, recording delivery.needs_attention when raised. */
    async setNeedsAttention(input: { invoiceId: number; value: boolean; reason?: string }): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const invoice = await trx
          .selectFrom('invoices')
          .select(['store_id', 'livemode', 'needs_attention'])
          .where('id', '=', input.invoiceId)
          .forUpdate()
          .executeTakeFirstOrThrow();
        if (invoice.needs_attention === input.value) return;
        await trx
          .updateTable('invoices')
          .set({ needs_attention: input.value, updated_at: new Date() })
          .where('id', '=', input.invoiceId)
          .execute();
        if (input.value) {
          await recordEvent(trx, {
            storeId: invoice.store_id,
            livemode: invoice.livemode,
            type: 'delivery.needs_attention',
            data: { id: input.invoiceId, reason: input.reason ?? null },
          });
        }
      });
    },

    /**
     * Every line delivered: PAID → COMPLETED with order.completed, and only from PAID. Leaving
     * DISPUTING is a settled dispute's (a won one gives back PAID or COMPLETED), never a delivery's:
     * a disputed, refunded or reversed order is left and its status reported.
     */
    async completeInvoice(input: { invoiceId: number }): Promise<{ status: InvoiceStatus }> {
      const result = await db.transaction().execute(async (trx) => {
        const { status } = await trx
          .selectFrom('invoices')
          .select('status')
          .where('id', '=', input.invoiceId)
          .forUpdate()
          .executeTakeFirstOrThrow();
        if (status !== 'PAID') return { changed: false, status: status as InvoiceStatus };
        return transitionInvoice(trx, input.invoiceId, 'COMPLETED', {
          event: 'order.completed',
          quiet: true,
          also: { completed_at: new Date() },
        });
      });
      log.info('invoice completed', { invoiceId: input.invoiceId, status: result.status });
      return { status: result.status };
    },
  };
}

export type OrderActivities = ReturnType<typeof createOrderActivities>;
