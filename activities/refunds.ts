import { ApplicationFailure } from '@temporalio/activity';
import Stripe from 'stripe';
import type { Db } from '../src/db/schema';
import type { StripeGateway } from '../src/gateways/stripe-gateway';
import type { PaypalGateway } from '../src/gateways/paypal/paypal-gateway';
import { applyRefundConsequences, type RefundExtent } from '../src/refunds/refund-consequences';
import { markRefundFailed, RefundRefusedError, sendRefund } from '../src/refunds/send-refund';
import type { SecretBox } from '../src/security/secret-box';
import type { RefundOutcome } from '../src/temporal/contracts/refund';

/** A refund's steps: the gateway call, then (once) what the refund takes back. */
export function createRefundActivities(deps: { db: Db; secrets: SecretBox; stripe: StripeGateway; paypal: PaypalGateway }) {
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
  };
}

export type RefundActivities = ReturnType<typeof createRefundActivities>;
