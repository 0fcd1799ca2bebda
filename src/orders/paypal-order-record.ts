import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';

/**
 * The invoice's `gateway` jsonb for PayPal: `data` is what the invoice view shows (checkout_url,
 * order_id, transaction_id once captured); beside it what matching needs: every PayPal order our
 * checkout created for the invoice, and where the buyer goes once back from PayPal.
 */
export interface PaypalGatewayRecord {
  type?: string;
  data?: { order_id?: string; transaction_id?: string; pending_reason?: string; [field: string]: unknown };
  /** PayPal orders our checkout created for this invoice (one per request id: normally one). */
  paypal_orders?: string[];
  /** The page the buyer returns to after PayPal (the hosted order or invoice page). */
  return_to?: string;
  /** The capture that paid the invoice. */
  paid_by?: string;
}

/** Records the PayPal order our checkout created, so its events and the buyer's return can be matched to the invoice. */
export async function recordPaypalOrder(
  db: DbExecutor,
  invoiceId: number,
  order: { id: string; approvalUrl: string },
  returnTo: string,
): Promise<void> {
  const data = JSON.stringify({ checkout_url: order.approvalUrl, order_id: order.id });
  const id = JSON.stringify([order.id]);
  await db
    .updateTable('invoices')
    .set({
      gateway: sql`gateway || jsonb_build_object(
        'type', 'PAYPAL',
        'data', coalesce(gateway->'data', '{}'::jsonb) || ${data}::jsonb,
        'return_to', ${returnTo}::text,
        'paypal_orders', case when coalesce(gateway->'paypal_orders', '[]'::jsonb) @> ${id}::jsonb
          then gateway->'paypal_orders' else coalesce(gateway->'paypal_orders', '[]'::jsonb) || ${id}::jsonb end
      )`,
      updated_at: new Date(),
    })
    .where('id', '=', invoiceId)
    .execute();
}

export function paypalOrdersOf(gateway: unknown): string[] {
  const orders = (gateway as PaypalGatewayRecord | null)?.paypal_orders;
  return Array.isArray(orders) ? orders.filter((o): o is string => typeof o === 'string') : [];
}
