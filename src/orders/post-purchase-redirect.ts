import type { DbExecutor } from '../db/schema';
import { fillRedirectUrl } from '../domain/redirect-url';

export interface RedirectableInvoice {
  id: number;
  status: string;
  customer_email: string | null;
  payment_method: string;
}

/**
 * Where each completed order sends its buyer: the redirect URL of the order's first product,
 * variables filled in. Null while the order is not completed, or when the product has none.
 */
export async function postPurchaseRedirects(db: DbExecutor, invoices: RedirectableInvoice[]): Promise<Map<number, string | null>> {
  const completed = invoices.filter((i) => i.status === 'COMPLETED');
  const found = new Map<number, string | null>(invoices.map((i) => [i.id, null]));
  if (completed.length === 0) return found;
  const lines = await db
    .selectFrom('invoice_lines as l')
    .innerJoin('products as p', 'p.id', 'l.product_id')
    .select(['l.invoice_id', 'l.quantity', 'p.other_settings'])
    .where(
      'l.invoice_id',
      'in',
      completed.map((i) => i.id),
    )
    .orderBy('l.id')
    .execute();
  for (const invoice of completed) {
    const first = lines.find((l) => l.invoice_id === invoice.id);
    const template = (first?.other_settings as { redirect_url?: unknown } | undefined)?.redirect_url;
    // Saved before only http(s) was taken: a `javascript:` or `data:` URL is never handed to a buyer.
    if (!first || typeof template !== 'string' || !/^https?:\/\//i.test(template)) continue;
    found.set(
      invoice.id,
      fillRedirectUrl(template, {
        customerEmail: invoice.customer_email,
        orderId: invoice.id,
        quantity: first.quantity,
        paymentMethod: invoice.payment_method,
      }),
    );
  }
  return found;
}
