import { ApplicationFailure } from '@temporalio/activity';
import Stripe from 'stripe';
import type { Config } from '../src/config';
import type { Db } from '../src/db/schema';
import type { StripeGateway } from '../src/gateways/stripe-gateway';
import type { PaypalGateway } from '../src/gateways/paypal/paypal-gateway';
import { checkPendingPaypalRefund } from '../src/refunds/paypal-refund-check';
import { applyRefundConsequences, type RefundExtent } from '../src/refunds/refund-consequences';
import { markRefundFailed, RefundRefusedError, sendRefund } from '../src/refunds/send-refund';
import type { SecretBox } from '../src/security/secret-box';
import type { PendingRefundCheck, RefundOutcome } from '../src/temporal/contracts/refund';
import { nextPendingCheck } from './paypal';

/** A refund's steps: the gateway call, then (once) what the refund takes back; a pending PayPal refund's checks. */
export function createRefundActivities(deps: {
  db: Db;
  secrets: SecretBox;
  stripe: StripeGateway;
  paypal: PaypalGateway;
  /** A pending PayPal refund is asked about on the pacing of a pending capture (PAYPAL_CAPTURE_CHECK_*). */
  paypalCaptureChecks: Config['paypal']['captureChecks'];
}) {
  return {
    async sendRefund(input: { refundId: number }): Promise<RefundOutcome> {
      try {
        return await sendRefund(deps, input.refundId);
      } catch (error) {
        // Stripe said no to this request (already refunded, more than the charge…): retrying cannot change it.
        if (error instanceof RefundRefusedError || error instanceof Stripe.errors.StripeInvalidRequestError) {
          throw ApplicationFailure.nonRetryable(error.message, 'RefundRefused');
        }
        throw error;
      }
    },

    async refundFailed(input: { refundId: number; reason: string }): Promise<void> {
      await markRefundFailed(deps.db, input.refundId, input.reason);
    },

    async applyRefundConsequences(input: { refundId: number }): Promise<RefundExtent | null> {
      return deps.db.transaction().execute((trx) => applyRefundConsequences(trx, input.refundId));
    },

    /**
     * A refund PayPal answered PENDING, asked about again (PayPal may send no event when it
     * completes): settled here when PayPal decided, its consequences included. Answers its status
     * and when to ask again (null: no more; Stripe's events, or PayPal's webhook, settle it).
     */
    async checkPendingRefund(input: { refundId: number; checks: number }): Promise<PendingRefundCheck> {
      const { status, checkable } = await checkPendingPaypalRefund(deps, input.refundId);
      const again = status === 'pending' && checkable ? nextPendingCheck(deps.paypalCaptureChecks, input.checks) : null;
      return { outcome: status, nextCheckInMs: again };
    },
  };
}

export type RefundActivities = ReturnType<typeof createRefundActivities>;
