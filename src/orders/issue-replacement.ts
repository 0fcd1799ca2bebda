import type { CatalogActor } from '../catalog/actor';
import { commitAndTell, type EngineConnection } from '../outbox/engine-intents';
import { createInvoice } from './create-invoice';
import { InvoiceRuleError, InvoiceStatusConflictError } from './errors';
import { transitionInvoice } from './invoice-transitions';
import { invoiceCreatedBy } from './request-key';
import type { StoreInvoice } from './store-invoice';

/**
 * Re-delivers the named lines of a paid order as a new invoice, paid at once and linked to the
 * original; the order workflow hears of the payment through the outbox. Returns the new invoice's id.
 */
export async function issueReplacement(
  engine: EngineConnection,
  actor: CatalogActor,
  original: StoreInvoice,
  variantIds: number[],
  requestKey: string | undefined,
): Promise<number> {
  if (original.status !== 'COMPLETED' && original.status !== 'PAID')
    throw new InvoiceStatusConflictError(original.status as never, 'COMPLETED');
  const { db } = engine;
  const source = await db
    .selectFrom('invoices')
    .select(['customer_email', 'customer_ip', 'country', 'custom_payment_method_id'])
    .where('id', '=', original.id)
    .executeTakeFirstOrThrow();
  const lines = await db
    .selectFrom('invoice_lines')
    .select(['variant_id', 'quantity', 'additional_information'])
    .where('invoice_id', '=', original.id)
    .execute();
  const missing = variantIds.filter((id) => !lines.some((l) => l.variant_id === id));
  if (missing.length > 0)
    throw new InvoiceRuleError('not_in_invoice', `Invoice ${original.id} has no product variant ${missing.join(', ')}`, 'product_variants');
  return commitAndTell(engine, async (trx) => {
    // This request made it already (its answer was lost): the same replacement, paid once.
    const made = await invoiceCreatedBy(trx, actor.storeId, requestKey);
    if (made !== null) return { value: made, intents: [] };
    const id = await createInvoice(trx, actor, {
      customerEmail: source.customer_email,
      paymentMethod: original.payment_method,
      customPaymentMethodId: source.custom_payment_method_id,
      customerIp: source.customer_ip,
      country: source.country ?? undefined,
      lines: lines
        .filter((l) => variantIds.includes(l.variant_id))
        .map((l) => ({ variantId: l.variant_id, quantity: l.quantity, additionalInformation: l.additional_information })),
      replacementOf: original.id,
      free: true,
      requestKey,
    });
    await transitionInvoice(trx, id, 'PAID', { event: 'order.paid', also: { paid_at: new Date() } });
    return { value: id, intents: [{ kind: 'order.payment_received', subjectId: id, detail: { source: 'replacement' } }] };
  });
}
