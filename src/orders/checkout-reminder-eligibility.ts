import { type RawBuilder, sql } from 'kysely';
import type { DbExecutor } from '../db/schema';

/**
 * Whether an unpaid checkout is still abandoned, as its reminder must know right before it is
 * sent: the buyer has done nothing toward paying it, and has not paid another checkout of the
 * same goods instead (a double click, a change of payment method).
 */

/** How long before this checkout a paid sibling still counts as the same purchase (a double click answered out of order). */
export const SIBLING_BEFORE_MS = 15 * 60_000;

/**
 * Something of the buyer's toward paying a PENDING invoice: crypto money seen (partial, confirming,
 * late or short), a PayPal order approved (its capture owed; a capture declined, which leaves the
 * invoice payable, clears it) or a capture PayPal holds, a payment recorded by a gateway. REVIEW
 * and PARTIAL invoices are past PENDING already.
 */
function pendingPaymentUnderway(invoiceId: RawBuilder<unknown>) {
  return sql<boolean>`(
    exists (select 1 from crypto_payments c where c.invoice_id = ${invoiceId}
      and (c.status not in ('AWAITING', 'EXPIRED') or c.received_units <> 0))
    or exists (select 1 from invoices g where g.id = ${invoiceId}
      and (g.gateway ? 'capture_owed' or g.gateway->'data' ? 'capture_status' or g.gateway ? 'paid_by'))
  )`;
}

/**
 * Decides, under locks that make the answer hold until the caller's transaction ends: the
 * invoice's crypto payment row (the chain watcher changes it under its own lock, before the
 * invoice's), then the invoice (every payment, approval and proof locks it to change it), then
 * the buyer's other checkouts of the same goods. A payment racing a reminder waits for the send,
 * or the reminder sees it and sends nothing.
 */
export async function checkAbandoned(trx: DbExecutor, invoiceId: number) {
  await trx.selectFrom('crypto_payments').select('invoice_id').where('invoice_id', '=', invoiceId).forShare().execute();
  const invoice = await trx
    .selectFrom('invoices')
    .select(['id', 'store_id', 'livemode', 'status', 'customer_email', 'coupon_id', 'total_cents', 'currency', 'created_at'])
    .where('id', '=', invoiceId)
    .forShare()
    .executeTakeFirstOrThrow();
  /** Why the checkout is not abandoned (null: it is). */
  const verdict = (notAbandoned: string | null) => ({ invoice, notAbandoned });
  if (invoice.status !== 'PENDING') return verdict(`the invoice is ${invoice.status}`);
  const underway = await trx.selectNoFrom(pendingPaymentUnderway(sql.lit(invoiceId)).as('underway')).executeTakeFirstOrThrow();
  if (underway.underway) return verdict('the buyer is paying it');
  if (!invoice.customer_email) return verdict(null);
  // A sibling the buyer paid, or is paying: the same store and mode, the same address, some of the same variants.
  const paidSibling = await trx
    .selectFrom('invoices as s')
    .select('s.id')
    .where('s.store_id', '=', invoice.store_id)
    .where('s.livemode', '=', invoice.livemode)
    .where('s.id', '<>', invoice.id)
    .where(sql<string>`lower(s.customer_email)`, '=', invoice.customer_email.toLowerCase())
    .where('s.created_at', '>=', new Date(invoice.created_at.getTime() - SIBLING_BEFORE_MS))
    .where(
      sql<boolean>`exists (select 1 from invoice_lines a join invoice_lines b on b.variant_id = a.variant_id
        where a.invoice_id = s.id and b.invoice_id = ${invoice.id})`,
    )
    .where((eb) =>
      eb.or([
        eb('s.status', 'in', ['PAID', 'COMPLETED', 'DISPUTING', 'REFUNDED', 'REVERSED', 'REVIEW', 'PARTIAL']),
        eb.and([eb('s.status', '=', 'PENDING'), pendingPaymentUnderway(sql.ref('s.id'))]),
      ]),
    )
    .orderBy('s.id')
    .forShare()
    .executeTakeFirst();
  if (paidSibling) return verdict(`the buyer paid invoice #${paidSibling.id} for the same goods`);
  return verdict(null);
}
