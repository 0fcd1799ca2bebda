import type { DbExecutor } from '../db/schema';
import { fillRedirectUrl, type RedirectVariable } from '../domain/custom-payment-method';
import { majorUnits } from '../domain/currency-minor-units';

/** A redirect method's variables (SellApp's list) for one invoice. */
async function redirectValues(
  trx: DbExecutor,
  invoice: { id: number; customer_email: string | null; currency: string; total_cents: number },
  priceUsd: string | null,
) {
  const lines = await trx
    .selectFrom('invoice_lines')
    .select(['title', 'quantity'])
    .where('invoice_id', '=', invoice.id)
    .orderBy('id')
    .execute();
  const price = majorUnits(invoice.total_cents, invoice.currency);
  const values: Record<RedirectVariable, string> = {
    id: String(invoice.id),
    invoice_id: String(invoice.id),
    // None given (the store does not ask for it): empty.
    customer_email: invoice.customer_email ?? '',
    currency: invoice.currency,
    price,
    // Another currency's: converted once at the first checkout and kept on the invoice (price-usd.ts).
    price_usd: invoice.currency === 'USD' ? price : (priceUsd ?? ''),
    product_name: lines.map((l) => l.title).join(', '),
    quantity: String(lines.reduce((sum, l) => sum + l.quantity, 0)),
  };
  return values;
}

/** Whether a redirect template asks for the price in US dollars, which another currency needs a rate for. */
export const needsUsdRate = (template: string | null, currency: string) =>
  template !== null && template.includes('{price_usd}') && currency.toUpperCase() !== 'USD';

/**
 * A redirect method's page for this invoice, its variables filled (each URL-encoded);
 * `priceUsd` is the invoice's price in US dollars kept at its first checkout (null: none).
 */
export async function filledRedirectUrl(
  db: DbExecutor,
  invoice: { id: number; customer_email: string | null; currency: string; total_cents: number },
  template: string,
  priceUsd: string | null,
): Promise<string> {
  return fillRedirectUrl(template, await redirectValues(db, invoice, priceUsd));
}
