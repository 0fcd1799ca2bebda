import { sql } from 'kysely';
import type { DbExecutor } from '../db/schema';

/**
 * The invoice's `gateway` jsonb for Stripe: `data` is what the invoice view shows (checkout_url,
 * session_id, transaction_id); beside it we keep what matching needs: every Checkout Session our
 * checkout opened for the invoice, and the payment that paid it.
 */
export interface StripeGatewayRecord {
  type?: string;
  data?: { session_id?: string; transaction_id?: string; [field: string]: unknown };
  /** Checkout Sessions our checkout created for this invoice (a repeated checkout may add one). */
  checkout_sessions?: string[];
  /** The payment that paid the invoice: a Checkout Session id, or a Stripe subscription id. */
  paid_by?: string;
}

/** Records the Checkout Session our checkout created, so its events can be matched to the invoice. */
export async function recordCheckoutSession(db: DbExecutor, invoiceId: number, session: { id: string; url: string }): Promise<void> {
  const data = JSON.stringify({ checkout_url: session.url, session_id: session.id });
  const id = JSON.stringify([session.id]);
  await db
    .updateTable('invoices')
    .set({
      // Merged into what is there: other keys (paid_by, earlier sessions) stay.
      gateway: sql`gateway || jsonb_build_object(
        'type', 'STRIPE',
        'data', coalesce(gateway->'data', '{}'::jsonb) || ${data}::jsonb,
        'checkout_sessions', case when coalesce(gateway->'checkout_sessions', '[]'::jsonb) @> ${id}::jsonb
          then gateway->'checkout_sessions' else coalesce(gateway->'checkout_sessions', '[]'::jsonb) || ${id}::jsonb end
      )`,
      updated_at: new Date(),
    })
    .where('id', '=', invoiceId)
    .execute();
}

export function checkoutSessionsOf(gateway: unknown): string[] {
  const sessions = (gateway as StripeGatewayRecord | null)?.checkout_sessions;
  return Array.isArray(sessions) ? sessions.filter((s): s is string => typeof s === 'string') : [];
}

export function paidByOf(gateway: unknown): string | null {
  const paidBy = (gateway as StripeGatewayRecord | null)?.paid_by;
  return typeof paidBy === 'string' ? paidBy : null;
}

/** The payment is in: which payment (for matching a redelivery) and its transaction id (shown). */
export async function recordStripePayment(db: DbExecutor, invoiceId: number, paidBy: string, transactionId: string): Promise<void> {
  await db
    .updateTable('invoices')
    .set({
      gateway: sql`jsonb_set(
        jsonb_set(gateway, '{data,transaction_id}', to_jsonb(${transactionId}::text)),
        '{paid_by}', to_jsonb(${paidBy}::text)
      )`,
      updated_at: new Date(),
    })
    .where('id', '=', invoiceId)
    .execute();
}
