import { laravelTime } from '../catalog/views/timestamps';
import type { DbExecutor } from '../db/schema';
import { type CustomerRow, customerProfile } from './customers';
import { CustomerNotFoundError } from './errors';
import { refundedLineIds } from '../refunds/refunded-lines';
import { titledLines } from '../orders/titled-lines';
import { capabilitiesOf } from '../subscriptions/capabilities';

/**
 * What a customer sees of their own store account in the portal: their orders and
 * subscriptions only. Every lookup names the customer, so another customer's row is a 404.
 */
export const customerOrders = (db: DbExecutor, customer: { id: number; store_id: number }) =>
  db.selectFrom('invoices').where('customer_id', '=', customer.id).where('store_id', '=', customer.store_id);

/** The spec's CustomerPortalOrder: amounts and lines, nothing of the fulfilment itself. */
export async function portalOrderViews(db: DbExecutor, ids: number[]) {
  if (ids.length === 0) return [];
  const orders = await db
    .selectFrom('invoices')
    .select(['id', 'status', 'currency', 'subtotal_cents', 'total_cents', 'created_at', 'updated_at'])
    .where('id', 'in', ids)
    .execute();
  const lines = await titledLines(db).where('l.invoice_id', 'in', ids).orderBy('l.id').execute();
  const refunded = await refundedLineIds(db, ids);
  const byId = new Map(orders.map((o) => [o.id, o]));
  return ids.map((id) => {
    const order = byId.get(id)!;
    return {
      id: order.id,
      status: order.status,
      currency: order.currency,
      subtotal_cents: order.subtotal_cents,
      total_cents: order.total_cents,
      line_items: lines
        .filter((l) => l.invoice_id === id)
        .map((l) => ({
          id: l.id,
          product_id: l.product_id,
          product_variant_id: l.variant_id,
          product_title: l.product_title ?? l.title,
          variant_title: l.variant_title,
          quantity: l.quantity,
          // A line is settled with its order, unless a refund took it back whole.
          status: refunded.has(l.id) ? 'REFUNDED' : order.status,
        })),
      created_at: laravelTime(order.created_at),
      updated_at: laravelTime(order.updated_at),
    };
  });
}

export async function portalOrder(db: DbExecutor, customer: { id: number; store_id: number }, orderId: number) {
  const row = await customerOrders(db, customer).select('id').where('id', '=', orderId).executeTakeFirst();
  if (!row) throw new CustomerNotFoundError('Order');
  return (await portalOrderViews(db, [row.id]))[0]!;
}

const customerSubscriptions = (db: DbExecutor, customer: { id: number; store_id: number }) =>
  db
    .selectFrom('subscriptions as s')
    .innerJoin('invoices as i', 'i.id', 's.invoice_id')
    .where('i.customer_id', '=', customer.id)
    .where('s.store_id', '=', customer.store_id)
    .select([
      's.id',
      's.store_id',
      's.status',
      's.provider',
      's.provider_subscription_id',
      's.provider_customer_id',
      's.product_variant_id',
      's.current_period_end',
      's.cancel_at_period_end',
      's.cancellation_in_progress',
      's.ended_at',
      's.paused_at',
    ]);

type SubscriptionRow = Awaited<ReturnType<ReturnType<typeof customerSubscriptions>['executeTakeFirstOrThrow']>>;

function portalSubscriptionView(row: SubscriptionRow, customer: CustomerRow) {
  return {
    id: row.id,
    status: row.status,
    subscription_id: row.provider_subscription_id,
    customer_id: row.provider_customer_id,
    provider_subscription_id: row.provider_subscription_id,
    provider_customer_id: row.provider_customer_id,
    customer: customerProfile(customer),
    product_variant_id: row.product_variant_id,
  };
}

export async function portalSubscriptions(db: DbExecutor, customer: CustomerRow) {
  const rows = await customerSubscriptions(db, customer).orderBy('s.id').execute();
  return rows.map((row) => portalSubscriptionView(row, customer));
}

/** One of the customer's own subscriptions; another customer's is a 404. */
export async function ownSubscription(db: DbExecutor, customer: CustomerRow, id: number) {
  const row = await customerSubscriptions(db, customer).where('s.id', '=', id).executeTakeFirst();
  if (!row) throw new CustomerNotFoundError('Subscription');
  return row;
}

export async function portalSubscription(db: DbExecutor, customer: CustomerRow, id: number) {
  return portalSubscriptionView(await ownSubscription(db, customer, id), customer);
}

/** Which lifecycle actions the subscription's state allows now, and why not (src/domain/subscription-capabilities.ts). */
export async function portalSubscriptionCapabilities(db: DbExecutor, customer: CustomerRow, id: number) {
  const row = await ownSubscription(db, customer, id);
  return {
    subscription_id: row.id,
    capabilities: capabilitiesOf(row),
  };
}
