import { customerNumber } from '../orders/customer-number';
import { laravelTime } from '../catalog/views/timestamps';
import type { Selectable } from 'kysely';
import type { DbExecutor } from '../db/schema';
import type { SubscriptionsTable } from '../db/schema/subscriptions';

const COLUMNS = [
  'id',
  'invoice_id',
  'provider',
  'provider_subscription_id',
  'provider_customer_id',
  'customer_email',
  'status',
  'current_period_start',
  'current_period_end',
  'cancel_at_period_end',
  'cancellation_in_progress',
  'store_id',
  'product_variant_id',
  'ended_at',
  'end_reason',
  'created_at',
  'updated_at',
] as const;

export function subscriptionsOf(db: DbExecutor, storeId: number, livemode: boolean) {
  return db.selectFrom('subscriptions').where('store_id', '=', storeId).where('livemode', '=', livemode);
}

type SubscriptionRow = Pick<Selectable<SubscriptionsTable>, (typeof COLUMNS)[number]>;

/** The seed's Subscription model, plus when and why it ended. */
export function presentSubscription(row: SubscriptionRow) {
  return {
    id: row.id,
    invoice_id: row.invoice_id,
    provider: row.provider,
    subscription_id: row.provider_subscription_id,
    customer_id: row.provider_customer_id ?? '',
    // The official model's names: subscription_id / customer_id above are its deprecated ones.
    provider_subscription_id: row.provider_subscription_id,
    provider_customer_id: row.provider_customer_id,
    customer: { id: customerNumber(row.store_id, row.customer_email), email: row.customer_email },
    customer_email: row.customer_email,
    status: row.status,
    current_period_start: laravelTime(row.current_period_start)!,
    current_period_end: laravelTime(row.current_period_end)!,
    cancel_at_period_end: row.cancel_at_period_end,
    cancellation_in_progress: row.cancellation_in_progress,
    store_id: row.store_id,
    product_variant_id: row.product_variant_id,
    ended_at: laravelTime(row.ended_at),
    end_reason: row.end_reason,
    created_at: laravelTime(row.created_at)!,
    updated_at: laravelTime(row.updated_at)!,
  };
}

export const SUBSCRIPTION_COLUMNS = COLUMNS;
