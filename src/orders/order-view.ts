import { laravelTime } from '../catalog/views/timestamps';
import type { Db, StatusHistoryEntry } from '../db/schema';
import type { ObjectStorage } from '../storage/object-storage';
import { deliverablesView, loadInvoiceRows } from './invoice-view';
import { customPaymentSummaries } from './payment-proof';
import { refundedLineIds } from '../refunds/refunded-lines';
import { titledLines } from './titled-lines';

/**
 * SellApp's Order: the same invoice row, read another way. An order is an invoice (same id,
 * same rows, same `order` workflow); its status is the invoice's status, whose values already
 * are the spec's order statuses; its timeline is the invoice's status history; its line items
 * are the invoice's lines. Nothing here is stored a second time.
 */

type InvoiceRow = Awaited<ReturnType<typeof loadInvoiceRows>>[number];
type GatewayData = Record<string, unknown>;

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/** Sellflow converts no currencies: a USD amount is its own USD amount, any other has none. */
export const usdCents = (cents: number, currency: string): number | null => (currency === 'USD' ? cents : null);

function gatewayData(invoice: InvoiceRow): GatewayData {
  return ((invoice.gateway as { data?: GatewayData }).data ?? {}) as GatewayData;
}

/** The status path: every earlier status of the invoice, then the one it has now. */
function timeline(invoice: InvoiceRow) {
  const history = (invoice.status_history as StatusHistoryEntry[]).map((h) => ({
    status: h.status,
    set_at: laravelTime(new Date(h.setAt))!,
  }));
  return [...history, { status: invoice.status, set_at: laravelTime(invoice.status_set_at)! }];
}

/** The redacted payment summary: provider references only, never the raw gateway record. */
function payment(invoice: InvoiceRow, withCheckoutUrl: boolean) {
  const data = gatewayData(invoice);
  const checkoutUrl = text(data.checkout_url);
  return {
    method: invoice.payment_method,
    transaction_id: text(data.transaction_id),
    payment_id: text(data.payment_id) ?? text(data.session_id),
    payment_capture_id: text(data.payment_capture_id),
    blockchain_txid: text(data.txid),
    settlement_gateway: null,
    has_checkout_url: checkoutUrl !== null,
    // Only the create and checkout answers hand the buyer's payment link over.
    ...(withCheckoutUrl ? { checkout_url: checkoutUrl } : {}),
  };
}

export interface OrderViewOptions {
  /** Include `payment.checkout_url` (create and checkout answers). */
  checkoutUrl?: boolean;
}

/** The spec's Order for each id of the store (in the order asked; unknown ids are left out). */
export async function orderViews(db: Db, storeId: number, ids: number[], options: OrderViewOptions = {}) {
  const rows = await loadInvoiceRows(db, storeId, ids);
  if (rows.length === 0) return [];
  const lines = await titledLines(db).where('l.invoice_id', 'in', ids).orderBy('l.id').execute();
  const customPayments = await customPaymentSummaries(db, rows);
  const refunded = await refundedLineIds(db, ids);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids
    .map((id) => byId.get(id))
    .filter((r): r is InvoiceRow => r !== undefined)
    .map((invoice) => {
      const discounted = invoice.subtotal_cents - invoice.coupon_discount_cents - invoice.method_adjustment_cents;
      return {
        id: invoice.id,
        // Sellflow's invoice statuses are the spec's order statuses, value for value.
        status: invoice.status,
        timeline: timeline(invoice),
        customer: {
          id: invoice.customer_id,
          email: invoice.customer_email,
          country: invoice.country,
          location: null,
          proxied: null,
        },
        payment: payment(invoice, options.checkoutUrl === true),
        totals: {
          currency: invoice.currency,
          subtotal_cents: invoice.subtotal_cents,
          // No tax is collected: exclusive and inclusive totals are one amount.
          total_exclusive_cents: invoice.total_cents,
          total_cents: invoice.total_cents,
          total_exclusive_usd_cents: usdCents(invoice.total_cents, invoice.currency),
          total_usd_cents: usdCents(invoice.total_cents, invoice.currency),
          discount_cents: invoice.subtotal_cents - discounted,
        },
        coupon_id: invoice.coupon_id,
        line_items: lines
          .filter((l) => l.invoice_id === invoice.id)
          .map((l) => ({
            id: l.id,
            product_id: l.product_id,
            product_variant_id: l.variant_id,
            product_title: l.product_title ?? l.title,
            variant_title: l.variant_title,
            quantity: l.quantity,
            // A line is settled with its order, unless a refund took it back whole.
            status: refunded.has(l.id) ? 'REFUNDED' : invoice.status,
            currency: invoice.currency,
            subtotal_cents: l.unit_price_cents * l.quantity,
            total_exclusive_cents: l.total_cents,
            total_cents: l.total_cents,
            subscription_id: invoice.subscription_id,
            created_at: laravelTime(invoice.created_at),
          })),
        livemode: invoice.livemode,
        replacement_of: invoice.replacement_of,
        custom_payment: customPayments.get(invoice.id) ?? null,
        created_at: laravelTime(invoice.created_at),
        updated_at: laravelTime(invoice.updated_at),
      };
    });
}

export type OrderView = Awaited<ReturnType<typeof orderViews>>[number];

/** The spec's order deliverables: each line item's hand-over, from the invoice's deliverables (./invoice-view.ts). */
export async function orderDeliverables(db: Db, storage: ObjectStorage, orderId: number) {
  const lines = await deliverablesView(db, storage, orderId);
  return lines.map(({ invoice_id, line_id, delivered, ...line }) => ({
    order_id: invoice_id,
    line_item_id: line_id,
    // The line's first deliverable type names it; `deliverable.types` lists them all.
    type: line.deliverable.types[0] ?? 'MANUAL',
    status: delivered ? 'delivered' : 'pending',
    ...line,
  }));
}
