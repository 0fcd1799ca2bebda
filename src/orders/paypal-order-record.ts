import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';

/**
 * The invoice's `gateway` jsonb for PayPal: `data` is what the invoice view shows (checkout_url,
 * order_id, transaction_id once captured); beside it what matching needs: every PayPal order our
 * checkout created for the invoice, and where the buyer goes once back from PayPal.
 */
export interface PaypalGatewayRecord {
  type?: string;
  data?: {
    order_id?: string;
    transaction_id?: string;
    pending_reason?: string;
    /** Why the last capture failed for good (shown with the invoice). */
    capture_failure?: string;
    [field: string]: unknown;
  };
  /** PayPal orders our checkout created for this invoice (one per request id: normally one). */
  paypal_orders?: string[];
  /** The page the buyer returns to after PayPal (the hosted order or invoice page). */
  return_to?: string;
  /** The capture that paid the invoice. */
  paid_by?: string;
  /** The approved order whose capture is owed and not yet answered (the expiry sweep leaves the invoice alone). */
  capture_owed?: string;
  /** Our capture call under way (paypal-capture-claim.ts): its attempt, and until when a void by hand is refused. */
  capture_in_flight?: { token: string; until: string };
}

/**
 * Records what our checkout created at PayPal for the invoice (an order, or a subscription) on its
 * gateway record: `data` for the invoice view, its id in `list` so its events and the buyer's return
 * are matched to this invoice, and the page the buyer comes back to.
 */
export async function recordPaypalCheckout(
  db: DbExecutor,
  invoiceId: number,
  created: { list: 'paypal_orders' | 'paypal_subscriptions'; idField: 'order_id' | 'subscription_id'; id: string; approvalUrl: string },
  returnTo: string,
): Promise<void> {
  const data = JSON.stringify({ checkout_url: created.approvalUrl, [created.idField]: created.id });
  const id = JSON.stringify([created.id]);
  const list = created.list;
  await db
    .updateTable('invoices')
    .set({
      gateway: sql`gateway || jsonb_build_object(
        'type', 'PAYPAL',
        'data', coalesce(gateway->'data', '{}'::jsonb) || ${data}::jsonb,
        'return_to', ${returnTo}::text,
        ${list}::text, case when coalesce(gateway->${list}::text, '[]'::jsonb) @> ${id}::jsonb
          then gateway->${list}::text else coalesce(gateway->${list}::text, '[]'::jsonb) || ${id}::jsonb end
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
