import { sql } from 'kysely';
import type { Db } from '../db/schema';
import { AWAITING_PAYMENT_STATUSES } from '../domain/invoice-status';
import { expireUnpaidInvoice } from './invoice-transitions';

/**
 * Unpaid invoices whose window the relay closes: an unpaid invoice has no workflow of its own
 * (it costs the engine nothing), so its expiry is swept. Those with a crypto payment
 * confirming are left to their crypto workflow, custom payments in review to the seller, a
 * PayPal order the buyer approved to its capture (owed until it answers or fails for good), and a
 * PayPal capture PayPal holds as pending to PayPal's completing or denying it, as
 * expireUnpaidInvoice would leave them.
 */
export function awaitingExpiry() {
  return sql<boolean>`invoices.status in (${sql.join(AWAITING_PAYMENT_STATUSES)})
    and not exists (select 1 from crypto_payments c where c.invoice_id = invoices.id and c.status = 'CONFIRMING')
    and not (invoices.status = 'REVIEW' and invoices.custom_payment_method_id is not null)
    and coalesce(invoices.gateway->'data'->>'capture_status', '') <> 'PENDING'
    and not coalesce(invoices.gateway ? 'capture_owed', false)`;
}

/** Voids up to `limit` invoices past their window, each in its own transaction; returns how many it voided. */
export async function expireDueInvoices(db: Db, limit: number): Promise<number> {
  const due = await db
    .selectFrom('invoices')
    .select('id')
    .where(awaitingExpiry())
    .where('expires_at', '<=', new Date())
    .orderBy('expires_at')
    .limit(limit)
    .execute();
  let voided = 0;
  for (const { id } of due) {
    const result = await db.transaction().execute((trx) => expireUnpaidInvoice(trx, id));
    if (result.changed) voided += 1;
  }
  return voided;
}
