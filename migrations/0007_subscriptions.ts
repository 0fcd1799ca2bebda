import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('stores')
    // How long an unpaid subscription keeps its entitlements after its period ends (3 days).
    .addColumn('subscription_grace_seconds', 'integer', (c) => c.notNull().defaultTo(259_200))
    .execute();
  await db.schema.alterTable('invoices').addColumn('subscription_id', 'integer').execute();
  await db.schema.alterTable('gateway_events').addColumn('subscription_id', 'integer').execute();

  await db.schema
    .createTable('subscriptions')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('livemode', 'boolean', (c) => c.notNull())
    .addColumn('invoice_id', 'integer', (c) => c.notNull().references('invoices.id').unique())
    .addColumn('product_variant_id', 'integer', (c) => c.notNull().references('product_variants.id'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('provider_subscription_id', 'text', (c) => c.notNull())
    .addColumn('provider_customer_id', 'text')
    .addColumn('customer_email', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('ACTIVE', 'PAST_DUE', 'CANCELED', 'EXPIRED')`))
    .addColumn('current_period_start', 'timestamptz', (c) => c.notNull())
    .addColumn('current_period_end', 'timestamptz', (c) => c.notNull())
    // False while the period is our guess from the variant's interval (see subscription-lifecycle).
    .addColumn('period_confirmed', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('cancel_at_period_end', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('cancellation_in_progress', 'boolean', (c) => c.notNull().defaultTo(false))
    // What the seller asked for ({at_period_end, refund_cents, requested_at}); sent once.
    .addColumn('cancel_request', 'jsonb')
    .addColumn('cancel_request_sent_at', 'timestamptz')
    .addColumn('payment_failed_at', 'timestamptz')
    .addColumn('payment_failure_notified_at', 'timestamptz')
    .addColumn('ended_at', 'timestamptz')
    .addColumn('end_reason', 'text')
    .addColumn('entitlements_revoked_at', 'timestamptz')
    .addColumn('provider_ended_at', 'timestamptz')
    // Raised when the provider must be told again to stop billing (a fresh idempotency key).
    .addColumn('provider_end_attempt', 'integer', (c) => c.notNull().defaultTo(0))
    // Stripe's time for the newest customer.subscription.updated applied: older ones are stale.
    .addColumn('provider_event_at', 'timestamptz')
    // When an overdue renewal with no failure reported was last checked with the provider.
    .addColumn('renewal_checked_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('subscriptions_provider_id_uq', ['provider', 'provider_subscription_id'])
    .execute();
  await db.schema.createIndex('subscriptions_store_idx').on('subscriptions').columns(['store_id', 'id']).execute();
  await db.schema
    .createIndex('subscriptions_open_idx')
    .on('subscriptions')
    .column('status')
    .where(sql.ref('entitlements_revoked_at'), 'is', null)
    .execute();

  // One row per provider invoice paid: the unique id makes a redelivered renewal a no-op.
  await db.schema
    .createTable('subscription_payments')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('subscription_id', 'integer', (c) => c.notNull().references('subscriptions.id'))
    .addColumn('provider_invoice_id', 'text', (c) => c.notNull())
    .addColumn('provider_payment_intent_id', 'text')
    .addColumn('amount_cents', 'integer', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('period_start', 'timestamptz', (c) => c.notNull())
    .addColumn('period_end', 'timestamptz', (c) => c.notNull())
    .addColumn('paid_at', 'timestamptz', (c) => c.notNull())
    .addColumn('refunded_cents', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('provider_refund_id', 'text')
    .addUniqueConstraint('subscription_payments_invoice_uq', ['subscription_id', 'provider_invoice_id'])
    .execute();

  await db.schema
    .createTable('subscription_reconciliations')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('running'))
    .addColumn('total', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('checked', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('repaired', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('subscription_repairs')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('reconciliation_id', 'integer', (c) => c.notNull().references('subscription_reconciliations.id'))
    .addColumn('subscription_id', 'integer', (c) => c.notNull().references('subscriptions.id'))
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('problem', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('detail', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('subscription_repairs_store_idx')
    .on('subscription_repairs')
    .columns(['store_id', 'reconciliation_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('subscription_repairs').execute();
  await db.schema.dropTable('subscription_reconciliations').execute();
  await db.schema.dropTable('subscription_payments').execute();
  await db.schema.dropTable('subscriptions').execute();
  await db.schema.alterTable('gateway_events').dropColumn('subscription_id').execute();
  await db.schema.alterTable('invoices').dropColumn('subscription_id').execute();
  await db.schema.alterTable('stores').dropColumn('subscription_grace_seconds').execute();
}
