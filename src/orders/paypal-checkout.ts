import { paypalModeOf } from '../gateways/paypal/client';
import type { PaypalGateway } from '../gateways/paypal/paypal-gateway';
import { type PaypalSettings, paypalCredentialsOf } from '../gateways/paypal/paypal-settings';
import { gatewaySettings } from '../gateways/gateway-settings';
import type { Db } from '../db/schema';
import type { SecretBox } from '../security/secret-box';
import { recordPaypalCheckout } from './paypal-order-record';

/** The PayPal return page of an invoice: PayPal sends the buyer there (with ?token=<order id>) once they approved or left. */
export function paypalReturnUrl(publicBaseUrl: string, store: { slug: string }, invoiceId: number): string {
  return `${publicBaseUrl.replace(/\/$/, '')}/checkout/${encodeURIComponent(store.slug)}/invoices/${invoiceId}/paypal-return`;
}

/**
 * Opens the PayPal payment of a pending invoice: one PayPal order (Orders v2, intent CAPTURE) for
 * the invoice's total in its currency, created with the store's app of the invoice's mode: a
 * test invoice only ever reaches the sandbox. Null when that app is not set up (or PayPal is off).
 */
export async function openPaypalOrder(
  deps: { db: Db; paypal: PaypalGateway; secrets: SecretBox; publicBaseUrl: string },
  store: { slug: string },
  invoice: { id: number; store_id: number; livemode: boolean; total_cents: number; currency: string },
  returnTo: string,
): Promise<{ paymentUrl: string } | null> {
  const gateway = await gatewaySettings<PaypalSettings>(deps.db, deps.secrets, invoice.store_id, 'PAYPAL');
  const credentials = gateway?.enabled ? paypalCredentialsOf(gateway.settings, paypalModeOf(invoice.livemode)) : null;
  if (!credentials) return null;
  const lines = await deps.db
    .selectFrom('invoice_lines')
    .select(['title', 'quantity'])
    .where('invoice_id', '=', invoice.id)
    .orderBy('id')
    .execute();
  const order = await deps.paypal.createOrder(credentials, {
    storeId: invoice.store_id,
    invoiceId: invoice.id,
    amountMinor: invoice.total_cents,
    currency: invoice.currency,
    description: `Invoice #${invoice.id}: ${lines.map((l) => `${l.quantity} × ${l.title}`).join(', ')}`,
    returnUrl: paypalReturnUrl(deps.publicBaseUrl, store, invoice.id),
    cancelUrl: `${returnTo}${returnTo.includes('?') ? '&' : '?'}checkout=cancelled`,
    // A repeated checkout of the invoice answers the order the first one created.
    requestId: `sellflow-order-${invoice.store_id}-${invoice.id}`,
  });
  // Its events and the buyer's return are matched to this invoice by the order id.
  await recordPaypalCheckout(
    deps.db,
    invoice.id,
    { list: 'paypal_orders', idField: 'order_id', id: order.id, approvalUrl: order.approvalUrl },
    returnTo,
  );
  return { paymentUrl: order.approvalUrl };
}
