import type { Db } from '../db/schema';
import type { RefundStatus } from '../db/schema';
import { isStripeInvoiceId, NoPaymentToRefundError, type StripeGateway } from '../gateways/stripe-gateway';
import { GatewayError } from '../gateways/gateway-error';
import { recordPaypalPending } from './paypal-refund-update';
import { failRefund } from './refund-failed';
import { gatewaySettings } from '../gateways/gateway-settings';
import { paypalModeOf } from '../gateways/paypal/client';
import type { PaypalGateway, PaypalRefund } from '../gateways/paypal/paypal-gateway';
import { type PaypalSettings, paypalCredentialsOf } from '../gateways/paypal/paypal-settings';
import type { SecretBox } from '../security/secret-box';
import { stripeSecretKey } from '../subscriptions/stripe-key';

/** The gateway's idempotency key for a refund (Stripe's Idempotency-Key, PayPal's PayPal-Request-Id): one per refund row, so every retry asks for the same refund. */
export const refundIdempotencyKey = (refund: { id: number; store_id: number }) => `sellflow-refund-${refund.store_id}-${refund.id}`;

/** A refund that no retry can make (no payment to refund, no key, Stripe refused it). */
export class RefundRefusedError extends Error {}

/**
 * Asks the gateway for a pending refund: Stripe or PayPal through their SDKs with the refund's
 * idempotency key; crypto and manual methods have no refund call, so the refund is marked for the seller to
 * pay out by hand. A refund no longer pending (a retry after the answer was recorded) is left.
 */
export async function sendRefund(
  deps: { db: Db; secrets: SecretBox; stripe: StripeGateway; paypal: PaypalGateway },
  refundId: number,
): Promise<RefundStatus> {
  const refund = await pendingRefund(deps.db, refundId);
  if (refund.status !== 'pending') return refund.status;
  // The gateway answered pending before (a retry after that answer was recorded): it stays pending.
  if (refund.provider_refund_id !== null) return refund.status;
  if (refund.provider === 'manual') {
    await deps.db
      .updateTable('refunds')
      .set({ status: 'manual', updated_at: new Date() })
      .where('id', '=', refund.id)
      .where('status', '=', 'pending')
      .execute();
    return 'manual';
  }
  if (refund.provider === 'paypal') return sendPaypalRefund(deps, refund);
  if (!refund.provider_payment_id) throw new RefundRefusedError('The order has no Stripe payment to refund');
  let key: string;
  try {
    key = await stripeSecretKey(deps.db, deps.secrets, refund.store_id, refund.livemode);
  } catch (error) {
    throw new RefundRefusedError(error instanceof Error ? error.message : String(error));
  }
  const request = {
    amountCents: refund.amount_cents,
    idempotencyKey: refundIdempotencyKey(refund),
    metadata: { refund_id: String(refund.id), invoice_id: String(refund.invoice_id), store_id: String(refund.store_id) },
  };
  if (!isStripeInvoiceId(refund.provider_payment_id)) {
    const answer = await deps.stripe.refundPayment(key, { ...request, paymentIntentId: refund.provider_payment_id });
    return recordStripeAnswer(deps.db, refund.id, answer);
  }
  // A subscription's order was paid by the subscription's first Stripe invoice (Checkout names
  // no PaymentIntent then): the refund goes to the PaymentIntent that paid that invoice.
  try {
    const answer = await deps.stripe.refundInvoicePayment(key, {
      ...request,
      providerInvoiceId: refund.provider_payment_id,
      paymentIntentId: null,
    });
    return recordStripeAnswer(deps.db, refund.id, answer);
  } catch (error) {
    if (error instanceof NoPaymentToRefundError) throw new RefundRefusedError(error.message);
    throw error;
  }
}

type RefundRow = Awaited<ReturnType<typeof pendingRefund>>;
const pendingRefund = (db: Db, id: number) => db.selectFrom('refunds').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

/**
 * Refunds the PayPal capture that paid the order, with the app of the order's mode (a test order
 * only ever through the sandbox). PayPal's answer counts as Stripe's does: COMPLETED takes effect
 * now; PENDING (an eCheck, a balance to top up) stays pending with PayPal's refund id and reason,
 * its consequences waiting for PayPal's word (paypal-refund-update.ts); FAILED or CANCELLED is a refusal.
 */
async function sendPaypalRefund(deps: { db: Db; secrets: SecretBox; paypal: PaypalGateway }, refund: RefundRow): Promise<RefundStatus> {
  if (!refund.provider_payment_id) throw new RefundRefusedError('The order has no PayPal capture to refund');
  const mode = paypalModeOf(refund.livemode);
  const settings = await gatewaySettings<PaypalSettings>(deps.db, deps.secrets, refund.store_id, 'PAYPAL');
  const credentials = settings ? paypalCredentialsOf(settings.settings, mode) : null;
  if (!credentials) throw new RefundRefusedError(`No ${mode} PayPal app is set up for the store`);
  let answer: PaypalRefund;
  try {
    answer = await deps.paypal.refundCapture(credentials, {
      captureId: refund.provider_payment_id,
      amountMinor: refund.amount_cents,
      currency: refund.currency,
      requestId: refundIdempotencyKey(refund),
      storeId: refund.store_id,
      invoiceId: refund.invoice_id,
      refundId: refund.id,
    });
  } catch (error) {
    // PayPal refused this refund (more than is left, refunded already) or the store's app: no retry changes it.
    if (error instanceof GatewayError && (error.kind === 'rejected' || error.kind === 'misconfigured'))
      throw new RefundRefusedError(error.message);
    throw error;
  }
  // Retried with the same request id, PayPal answers this refund again, with its id this time.
  if (!answer.id) throw new GatewayError('PayPal', 'unavailable', 'PayPal answered the refund without its id', { retryAfterSeconds: 5 });
  if (answer.status === 'FAILED' || answer.status === 'CANCELLED')
    throw new RefundRefusedError(`PayPal ${answer.status.toLowerCase()} refund ${answer.id}${answer.reason ? `: ${answer.reason}` : ''}`);
  if (answer.status === 'COMPLETED') return markRefundSucceeded(deps.db, refund.id, answer.id);
  await recordPaypalPending(deps.db, refund.id, { refundId: answer.id, status: answer.status, reason: answer.reason });
  return (await pendingRefund(deps.db, refund.id)).status;
}

/**
 * What Stripe answered about the refund it made: `succeeded` takes effect now; `pending` (and
 * `requires_action`) stays pending with Stripe's refund id, its consequences waiting for Stripe's
 * `charge.refund.updated` (stripe-refund-update.ts); `failed` or `canceled` is a refusal. The
 * answer is the refund's status as recorded, which that event may have settled already.
 */
async function recordStripeAnswer(db: Db, refundId: number, answer: { refundId: string; status: string | null }): Promise<RefundStatus> {
  if (answer.status === 'failed' || answer.status === 'canceled')
    throw new RefundRefusedError(`Stripe ${answer.status} refund ${answer.refundId}`);
  if (answer.status === 'succeeded') return markRefundSucceeded(db, refundId, answer.refundId);
  await db
    .updateTable('refunds')
    .set({ provider_refund_id: answer.refundId, updated_at: new Date() })
    .where('id', '=', refundId)
    .where('status', '=', 'pending')
    .where('provider_refund_id', 'is', null)
    .execute();
  return (await pendingRefund(db, refundId)).status;
}

/** The gateway made the refund: its id, once (a retry after the answer was recorded changes nothing). */
async function markRefundSucceeded(db: Db, refundId: number, providerRefundId: string): Promise<'succeeded'> {
  await db
    .updateTable('refunds')
    .set({ status: 'succeeded', provider_refund_id: providerRefundId, updated_at: new Date() })
    .where('id', '=', refundId)
    .where('status', '=', 'pending')
    .execute();
  return 'succeeded';
}

/** The gateway refused for good: the refund gave nothing back and takes nothing back (order.refund_failed, once). */
export async function markRefundFailed(db: Db, refundId: number, reason: string): Promise<void> {
  await db.transaction().execute((trx) => failRefund(trx, refundId, reason));
}
