import { laravelTime } from '../catalog/views/timestamps';
import type { Db } from '../db/schema';
import { usdCents } from './order-view';
import { refundedLineIds } from '../refunds/refunded-lines';
import { titledLines } from './titled-lines';

/**
 * SellApp's line item: one line of an invoice (`invoice_lines`), the product-level record of a
 * sale. Its id is the line's own row id, so it never changes and is the same in the order's
 * `line_items`, under `/v2/orders/{order}/line-items` and under `/v2/line-items`. A line is
 * settled with its order: its status is the order's, or REFUNDED once a refund took it back
 * whole (the spec's line statuses are its order statuses: there is no partly refunded line).
 */

/** A store's invoice lines (never a charge's) of one mode, nothing selected yet: what a list or search pages through. */
export function storeLineItems(db: Db, storeId: number, livemode: boolean) {
  return db
    .selectFrom('invoice_lines as l')
    .innerJoin('invoices as i', 'i.id', 'l.invoice_id')
    .where('i.store_id', '=', storeId)
    .where('i.kind', '=', 'INVOICE')
    .where('i.livemode', '=', livemode);
}

/** The fields a line-item search may filter or sort on, and the columns behind them. */
export const LINE_ITEM_FIELDS = {
  id: 'l.id',
  order_id: 'l.invoice_id',
  product_id: 'l.product_id',
  product_variant_id: 'l.variant_id',
  quantity: 'l.quantity',
  total: 'l.total_cents',
  revenue: 'l.total_cents',
  status: 'i.status',
  currency: 'i.currency',
  payment_method: 'i.payment_method',
  customer_id: 'i.customer_id',
  customer_email: 'i.customer_email',
  created_at: 'i.created_at',
} as const;

const decimal = (cents: number) => (cents / 100).toFixed(2);

/** The spec's line item for each id (in the order asked; ids not found are left out). */
export async function lineItemViews(db: Db, ids: number[]) {
  if (ids.length === 0) return [];
  const rows = await titledLines(db)
    .innerJoin('invoices as i', 'i.id', 'l.invoice_id')
    .leftJoin('subscriptions as s', 's.id', 'i.subscription_id')
    .select([
      'l.deliverable_types',
      'i.status',
      'i.payment_method',
      'i.customer_id',
      'i.currency',
      'i.country',
      'i.coupon_id',
      'i.coupon_code',
      'i.created_at',
      'i.updated_at',
      's.id as subscription_id',
      's.provider as subscription_provider',
      's.status as subscription_status',
      's.current_period_start',
      's.current_period_end',
      's.cancel_at_period_end',
    ])
    .where('l.id', 'in', ids)
    .execute();
  const refunded = await refundedLineIds(db, [...new Set(rows.map((r) => r.invoice_id))]);
  const steps = await db.selectFrom('delivery_steps').select(['line_id', 'status', 'updated_at']).where('line_id', 'in', ids).execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids
    .map((id) => byId.get(id))
    .filter((r) => r !== undefined)
    .map((line) => {
      const own = steps.filter((s) => s.line_id === line.id);
      const delivered = own.filter((s) => s.status === 'delivered');
      const times = delivered.map((s) => s.updated_at.getTime()).sort((a, b) => a - b);
      const whole = own.length > 0 && own.every((s) => s.status === 'delivered' || s.status === 'skipped');
      const subtotal = line.unit_price_cents * line.quantity;
      return {
        id: line.id,
        order: {
          id: line.invoice_id,
          status: line.status,
          payment_method: line.payment_method,
          customer_id: line.customer_id,
          created_at: laravelTime(line.created_at),
          updated_at: laravelTime(line.updated_at),
        },
        status: refunded.has(line.id) ? 'REFUNDED' : line.status,
        product: { id: line.product_id, title: line.product_title ?? line.title },
        variant: { id: line.variant_id, title: line.variant_title },
        customer_id: line.customer_id,
        quantity: line.quantity,
        currency: line.currency,
        currency_rate: null,
        payment_method: line.payment_method,
        amounts: {
          unit_price: decimal(line.unit_price_cents),
          subtotal_cents: subtotal,
          credit_cents: null,
          total_exclusive_cents: line.total_cents,
          total_exclusive_usd_cents: usdCents(line.total_cents, line.currency),
          total_cents: line.total_cents,
          total_usd_cents: usdCents(line.total_cents, line.currency),
          // Sellflow takes no platform fee: what the line sold for is the seller's revenue.
          revenue_cents: line.total_cents,
          revenue_usd_cents: usdCents(line.total_cents, line.currency),
          fee_cents: 0,
          fee_rate: null,
        },
        discounts: { coupon: line.coupon_id === null ? null : { id: line.coupon_id, code: line.coupon_code }, modifiers: [] },
        tax: { id: null, rate: null, amount_cents: 0, country: line.country },
        promotion: null,
        referral: null,
        subscription:
          line.subscription_id === null
            ? null
            : {
                id: line.subscription_id,
                provider: line.subscription_provider,
                status: line.subscription_status,
                current_period_start: laravelTime(line.current_period_start),
                current_period_end: laravelTime(line.current_period_end),
                cancel_at_period_end: line.cancel_at_period_end ?? false,
              },
        // What was handed over stays out: counts and times only.
        fulfillment: {
          deliveries_count: delivered.length,
          delivered_quantity: whole ? line.quantity : 0,
          types: line.deliverable_types,
          first_delivered_at: times.length ? laravelTime(new Date(times[0]!)) : null,
          last_delivered_at: times.length ? laravelTime(new Date(times[times.length - 1]!)) : null,
        },
        created_at: laravelTime(line.created_at),
        updated_at: laravelTime(line.updated_at),
      };
    });
}
