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
  /** When the latest Checkout Session expires (ISO), as Stripe said: after it, a checkout opens a new one. */
  session_expires_at?: string;
}

/** A session closer to its end than this is not handed to a buyer: a new one is opened instead. */
export const SESSION_RENEW_MARGIN_MS = 10 * 60_000;

/**
 * Which session the invoice's checkout asks Stripe for (its idempotency key's number): the
 * latest while a buyer can still pay in it, the next once it expired (Stripe's sessions last at
 * most 24 h; a reminder's link may come later). Checkouts at the same moment ask for the same
 * one, so Stripe answers them one session. A session whose end we never learned is replayed.
 */
export function checkoutSessionAttempt(gateway: unknown, now: Date): number {
  const sessions = checkoutSessionsOf(gateway).length;
  if (sessions === 0) return 0;
  const expiresAt = Date.parse((gateway as StripeGatewayRecord | null)?.session_expires_at ?? '');
  if (Number.isNaN(expiresAt) || expiresAt - now.getTime() > SESSION_RENEW_MARGIN_MS) return sessions - 1;
  return sessions;
}

/** Records the Checkout Session our checkout created, so its events can be matched to the invoice. */
export async function recordCheckoutSession(
  db: DbExecutor,
  invoiceId: number,
  session: { id: string; url: string; expiresAt?: Date | null },
): Promise<void> {
  const data = JSON.stringify({ checkout_url: session.url, session_id: session.id });
  const id = JSON.stringify([session.id]);
  const expiresAt = session.expiresAt?.toISOString() ?? null;
  await db
    .updateTable('invoices')
    .set({
      // Merged into what is there: other keys (paid_by, earlier sessions) stay.
      gateway: sql`gateway || jsonb_build_object(
        'type', 'STRIPE',
        'data', coalesce(gateway->'data', '{}'::jsonb) || ${data}::jsonb,
        'checkout_sessions', case when coalesce(gateway->'checkout_sessions', '[]'::jsonb) @> ${id}::jsonb
          then gateway->'checkout_sessions' else coalesce(gateway->'checkout_sessions', '[]'::jsonb) || ${id}::jsonb end,
        'session_expires_at', coalesce(${expiresAt}::text, gateway->>'session_expires_at')
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
