import { createHmac } from 'node:crypto';
import type { Selectable } from 'kysely';
import { laravelTime } from '../catalog/views/timestamps';
import { CatalogNotFoundError } from '../catalog/errors';
import { applicableCoupon } from '../coupons/apply-coupon';
import type { DbExecutor } from '../db/schema';
import type { InvoicesTable } from '../db/schema/orders';
import { recordEvent } from '../events/record';
import { chargeStatus } from '../domain/charge-status';
import { InvoiceRuleError } from '../orders/errors';
import { invoiceCreatedBy } from '../orders/request-key';
import { customerForEmail } from '../customers/customers';

export interface ChargeInput {
  email: string;
  returnUrl: string;
  cancelUrl?: string;
  webhook?: string;
  reference?: string;
  description?: string;
  currency?: string;
  totalCents?: number;
  paymentMethods: string[];
  deliverable?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  couponCode?: string;
  /** The creating request's Idempotency-Key (requestKeyOf): a retry gets the same charge. */
  requestKey?: string;
}

/** The page a customer pays (or claims a free charge) on; the signature ties it to the charge. */
export function chargeUrl(baseUrl: string, storeSecret: string, chargeId: number): string {
  const signature = createHmac('sha256', storeSecret).update(`charge:${chargeId}`).digest('hex');
  return `${baseUrl}/store/charges/select/${chargeId}?signature=${signature}`;
}

type ChargeRow = Selectable<InvoicesTable>;

export function chargeView(row: ChargeRow, url: string) {
  const details = (row.charge ?? {}) as Record<string, unknown>;
  return {
    id: row.id,
    url,
    status: chargeStatus(row.status),
    // The official model's: Sellflow has no custom payment methods.
    custom_payment_method_id: null,
    email: row.customer_email,
    reference: (details.reference as string | undefined) ?? null,
    currency: row.currency,
    total: row.total_cents,
    return_url: details.return_url as string,
    webhook: (details.webhook as string | undefined) ?? null,
    cancel_url: (details.cancel_url as string | undefined) ?? null,
    description: (details.description as string | undefined) ?? null,
    coupon_code: row.coupon_code,
    payment_methods: (details.payment_methods as string[] | undefined) ?? [row.payment_method],
    metadata: details.metadata ?? {},
    deliverable: details.deliverable ?? null,
    livemode: row.livemode,
    created_at: laravelTime(row.created_at),
    updated_at: laravelTime(row.updated_at),
  };
}

export async function requireCharge(db: DbExecutor, storeId: number, livemode: boolean, id: number) {
  const row = await db
    .selectFrom('invoices')
    .selectAll()
    .where('id', '=', id)
    .where('store_id', '=', storeId)
    .where('kind', '=', 'CHARGE')
    .where('livemode', '=', livemode)
    .executeTakeFirst();
  if (!row) throw new CatalogNotFoundError('Charge');
  return row;
}

/**
 * A charge is an invoice without lines: it waits for payment (or a claim, when free) in the
 * same order workflow, expires the same way, and completes with nothing to deliver.
 */
export async function createCharge(trx: DbExecutor, store: { id: number; livemode: boolean }, input: ChargeInput): Promise<number> {
  const existing = await invoiceCreatedBy(trx, store.id, input.requestKey);
  if (existing !== null) return existing;
  const total = input.totalCents ?? 0;
  if (total > 0 && !input.currency) throw new InvoiceRuleError('missing_field', 'A paid charge needs a currency', 'currency');
  const coupon = input.couponCode ? await applicableCoupon(trx, store.id, input.couponCode, [{ productId: 0, netCents: total }]) : null;
  const discount = coupon?.discountCents ?? 0;
  const settings = await trx
    .selectFrom('stores')
    .select(['invoice_ttl_seconds', 'currency'])
    .where('id', '=', store.id)
    .executeTakeFirstOrThrow();
  const row = await trx
    .insertInto('invoices')
    .values({
      store_id: store.id,
      livemode: store.livemode,
      kind: 'CHARGE',
      customer_email: input.email.toLowerCase(),
      customer_id: await customerForEmail(trx, { storeId: store.id, livemode: store.livemode }, input.email),
      customer_ip: null,
      country: null,
      vat_id: null,
      payment_method: input.paymentMethods[0]!,
      coupon_code: coupon?.code ?? null,
      coupon_id: coupon?.id ?? null,
      coupon_discount_cents: discount,
      affiliate: null,
      currency: (input.currency ?? settings.currency).toUpperCase(),
      subtotal_cents: total,
      total_cents: total - discount,
      units: 1,
      gateway: JSON.stringify({ type: input.paymentMethods[0], data: {} }),
      replacement_of: null,
      request_key: input.requestKey ?? null,
      expires_at: new Date(Date.now() + settings.invoice_ttl_seconds * 1000),
      paid_at: null,
      completed_at: null,
      charge: JSON.stringify({
        return_url: input.returnUrl,
        cancel_url: input.cancelUrl,
        webhook: input.webhook,
        reference: input.reference,
        description: input.description,
        payment_methods: input.paymentMethods,
        deliverable: input.deliverable,
        metadata: input.metadata ?? {},
      }),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await recordEvent(trx, { storeId: store.id, livemode: store.livemode, type: 'order.created', data: { id: row.id, kind: 'charge' } });
  return row.id;
}

export const chargeQuery = (db: DbExecutor, storeId: number, livemode: boolean) =>
  db.selectFrom('invoices').where('store_id', '=', storeId).where('kind', '=', 'CHARGE').where('livemode', '=', livemode);
