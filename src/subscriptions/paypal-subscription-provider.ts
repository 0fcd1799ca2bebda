import type { DbExecutor } from '../db/schema';
import { gatewaySettings } from '../gateways/gateway-settings';
import { type PaypalCredentials, paypalModeOf } from '../gateways/paypal/client';
import type { PaypalGateway } from '../gateways/paypal/paypal-gateway';
import { type PaypalSettings, paypalCredentialsOf } from '../gateways/paypal/paypal-settings';
import { PaypalBilling, type PaypalSubscription } from '../gateways/paypal/subscriptions';
import type { SecretBox } from '../security/secret-box';

export class PaypalNotConfiguredError extends Error {}

/** The store's PayPal REST app of the subscription's mode: a test subscription only ever reaches the sandbox. */
export async function paypalCredentialsFor(
  db: DbExecutor,
  secrets: SecretBox,
  row: { store_id: number; livemode: boolean },
): Promise<PaypalCredentials> {
  const gateway = await gatewaySettings<PaypalSettings>(db, secrets, row.store_id, 'PAYPAL');
  const credentials = gateway ? paypalCredentialsOf(gateway.settings, paypalModeOf(row.livemode)) : null;
  if (!credentials) throw new PaypalNotConfiguredError(`Store ${row.store_id} has no PayPal ${row.livemode ? 'live' : 'sandbox'} app`);
  return credentials;
}

/**
 * The reason our suspend gives PayPal, which PayPal keeps as the subscription's
 * status_change_note: the mark by which a SUSPENDED event is known as the echo of a seller's
 * pause (arriving late, even after the resume), not a suspension PayPal made for failed payments.
 */
export const sellerPauseNote = (actionId: number) => `Paused by the seller (Sellflow pause ${actionId})`;
export const isSellerPauseNote = (note: string | null) => note !== null && /^Paused by the seller \(Sellflow pause \d+\)$/.test(note);

/** PayPal ends billing for good in these states. */
export const paypalEnded = (remote: PaypalSubscription | null) => !remote || remote.status === 'CANCELLED' || remote.status === 'EXPIRED';

/**
 * The subscription workflow's provider calls for a PayPal subscription. PayPal has no cancel at
 * period end: both cancels stop PayPal's billing at once, and the record decides how long
 * access lasts. Refunds go to the sale the payment was (its id is the payment's provider id).
 */
export function paypalSubscriptionCalls(deps: { db: DbExecutor; secrets: SecretBox; paypal: PaypalGateway }) {
  const billing = new PaypalBilling(deps.paypal);
  const credentialsOf = (row: { store_id: number; livemode: boolean }) => paypalCredentialsFor(deps.db, deps.secrets, row);
  type Row = { id: number; store_id: number; livemode: boolean; provider_subscription_id: string };
  return {
    async cancel(row: Row, reason: string): Promise<void> {
      await billing.cancelSubscription(await credentialsOf(row), row.provider_subscription_id, reason);
    },
    /** A seller's pause: PayPal bills nothing until the resume. */
    async suspend(row: Row, actionId: number): Promise<void> {
      await billing.suspendSubscription(await credentialsOf(row), row.provider_subscription_id, sellerPauseNote(actionId));
    },
    /** A seller's resume; the answer is the subscription as PayPal bills it now (its next billing time). */
    async activate(row: Row, actionId: number): Promise<PaypalSubscription | null> {
      const credentials = await credentialsOf(row);
      await billing.activateSubscription(credentials, row.provider_subscription_id, `Resumed by the seller (Sellflow resume ${actionId})`);
      return billing.getSubscription(credentials, row.provider_subscription_id);
    },
    async retrieve(row: Row): Promise<PaypalSubscription | null> {
      return billing.getSubscription(await credentialsOf(row), row.provider_subscription_id);
    },
    async refund(
      row: Row,
      payment: { id: number; provider_invoice_id: string; currency: string },
      amountCents: number,
    ): Promise<{ refundId: string; paymentIntentId: string }> {
      const refund = await billing.refundSale(await credentialsOf(row), {
        saleId: payment.provider_invoice_id,
        amountMinor: amountCents,
        currency: payment.currency,
        requestId: `sellflow-sub-${row.id}-refund-${payment.id}`,
      });
      return { refundId: refund.refundId, paymentIntentId: payment.provider_invoice_id };
    },
  };
}
