import { sql } from 'kysely';
import type { Db, DbExecutor } from '../db/schema';
import type { BillingInterval } from '../domain/billing-interval';
import { paypalModeOf } from '../gateways/paypal/client';
import { gatewaySettings } from '../gateways/gateway-settings';
import type { PaypalGateway } from '../gateways/paypal/paypal-gateway';
import { type PaypalSettings, paypalCredentialsOf } from '../gateways/paypal/paypal-settings';
import { ensurePaypalPlan } from '../gateways/paypal/plans';
import { PaypalBilling } from '../gateways/paypal/subscriptions';
import type { SecretBox } from '../security/secret-box';
import { paypalReturnUrl } from './paypal-checkout';
import { recordPaypalCheckout } from './paypal-order-record';

/** The subscription line of an invoice (a subscription variant is sold alone on its invoice), if any. */
export async function subscriptionLineOf(db: DbExecutor, invoiceId: number) {
  return db
    .selectFrom('invoice_lines as l')
    .innerJoin('product_variants as v', 'v.id', 'l.variant_id')
    .select(['l.variant_id', 'l.title', 'v.frequency_interval', 'v.frequency_value'])
    .where('l.invoice_id', '=', invoiceId)
    .where('v.pricing_type', '=', 'SUBSCRIPTION')
    .where('v.frequency_interval', 'is not', null)
    .orderBy('l.id')
    .executeTakeFirst();
}

/**
 * Opens the PayPal subscription of a pending invoice: the variant's plan at the invoice's total
 * (made once and cached), and one subscription per invoice (PayPal-Request-Id) with the invoice
 * id as custom_id. The buyer approves it at PayPal; its first payment (PAYMENT.SALE.COMPLETED)
 * pays the invoice. Null when the store's app of the invoice's mode is not set up.
 */
export async function openPaypalSubscription(
  deps: { db: Db; paypal: PaypalGateway; secrets: SecretBox; publicBaseUrl: string },
  store: { slug: string },
  invoice: { id: number; store_id: number; livemode: boolean; total_cents: number; currency: string; customer_email: string | null },
  line: NonNullable<Awaited<ReturnType<typeof subscriptionLineOf>>>,
  returnTo: string,
): Promise<{ paymentUrl: string } | null> {
  const gateway = await gatewaySettings<PaypalSettings>(deps.db, deps.secrets, invoice.store_id, 'PAYPAL');
  const credentials = gateway?.enabled ? paypalCredentialsOf(gateway.settings, paypalModeOf(invoice.livemode)) : null;
  if (!credentials) return null;
  const billing = new PaypalBilling(deps.paypal);
  const planId = await ensurePaypalPlan(deps.db, billing, credentials, {
    storeId: invoice.store_id,
    variantId: line.variant_id,
    title: line.title,
    amountMinor: invoice.total_cents,
    currency: invoice.currency,
    interval: line.frequency_interval as BillingInterval,
    intervalCount: line.frequency_value ?? 1,
  });
  const subscription = await billing.createSubscription(credentials, {
    planId,
    invoiceId: invoice.id,
    email: invoice.customer_email,
    returnUrl: paypalReturnUrl(deps.publicBaseUrl, store, invoice.id),
    cancelUrl: `${returnTo}${returnTo.includes('?') ? '&' : '?'}checkout=cancelled`,
    requestId: `sellflow-subscription-${invoice.store_id}-${invoice.id}`,
  });
  // Its events are matched to this invoice by the subscription id, never by the custom_id they carry.
  await recordPaypalCheckout(
    deps.db,
    invoice.id,
    { list: 'paypal_subscriptions', idField: 'subscription_id', id: subscription.id, approvalUrl: subscription.approvalUrl },
    returnTo,
  );
  return { paymentUrl: subscription.approvalUrl };
}

/** The invoice of this store whose checkout created this PayPal subscription. */
export async function invoiceOfPaypalSubscription(db: DbExecutor, storeId: number, subscriptionId: string) {
  return db
    .selectFrom('invoices')
    .select(['id', 'livemode', 'currency', 'total_cents', 'status', 'gateway'])
    .where('store_id', '=', storeId)
    .where(sql<boolean>`coalesce(gateway->'paypal_subscriptions', '[]'::jsonb) @> ${JSON.stringify([subscriptionId])}::jsonb`)
    .executeTakeFirst();
}
