import type { Db, RefundStatus } from '../db/schema';
import { GatewayError } from '../gateways/gateway-error';
import { gatewaySettings } from '../gateways/gateway-settings';
import { paypalModeOf } from '../gateways/paypal/client';
import type { PaypalGateway } from '../gateways/paypal/paypal-gateway';
import { type PaypalSettings, paypalCredentialsOf } from '../gateways/paypal/paypal-settings';
import type { SecretBox } from '../security/secret-box';
import { applyPaypalRefundReport } from './paypal-refund-update';

/**
 * Asks PayPal how a refund it answered PENDING stands now (GET /v2/payments/refunds/{id}) and
 * applies the answer as PayPal's webhook is applied (applyPaypalRefundReport, under the refund's
 * lock): whichever comes first settles it, the other finds it settled. Answers the refund's status
 * after; `checkable` is false for a refund no check settles (not PayPal's, or not made yet).
 */
export async function checkPendingPaypalRefund(
  deps: { db: Db; secrets: SecretBox; paypal: PaypalGateway },
  refundId: number,
): Promise<{ status: RefundStatus; checkable: boolean }> {
  const refund = await deps.db.selectFrom('refunds').selectAll().where('id', '=', refundId).executeTakeFirstOrThrow();
  if (refund.status !== 'pending') return { status: refund.status, checkable: false };
  // Stripe's pending refunds are settled by its events, which Stripe always sends.
  if (refund.provider !== 'paypal' || refund.provider_refund_id === null) return { status: refund.status, checkable: false };
  const mode = paypalModeOf(refund.livemode);
  const settings = await gatewaySettings<PaypalSettings>(deps.db, deps.secrets, refund.store_id, 'PAYPAL');
  const credentials = settings ? paypalCredentialsOf(settings.settings, mode) : null;
  let answer;
  try {
    // The store removed its app meanwhile: asked again later (the seller may put it back), the webhook may still come.
    answer = credentials ? await deps.paypal.getRefund(credentials, refund.provider_refund_id) : null;
  } catch (error) {
    // PayPal down, or refusing the app now: the next check asks again.
    if (error instanceof GatewayError) return { status: refund.status, checkable: true };
    throw error;
  }
  if (!answer) return { status: refund.status, checkable: true };
  const report = { refundId: answer.id || refund.provider_refund_id, status: answer.status, reason: answer.reason };
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('refunds').select(['id', 'status']).where('id', '=', refund.id).forUpdate().executeTakeFirstOrThrow();
    await applyPaypalRefundReport(trx, row, report);
    const after = await trx.selectFrom('refunds').select('status').where('id', '=', refund.id).executeTakeFirstOrThrow();
    return { status: after.status, checkable: true };
  });
}
