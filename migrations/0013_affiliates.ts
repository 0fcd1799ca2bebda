import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // One program per store. PERCENTAGE commissions are basis points, AMOUNT ones cents.
  await db.schema
    .createTable('affiliate_programs')
    .addColumn('store_id', 'integer', (c) => c.primaryKey().references('stores.id'))
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('auto_approve', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('auto_accept_referrals', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('commission_type', 'text', (c) =>
      c
        .notNull()
        .defaultTo('PERCENTAGE')
        .check(sql`commission_type in ('PERCENTAGE', 'AMOUNT')`),
    )
    .addColumn('commission_value', 'integer', (c) =>
      c
        .notNull()
        .defaultTo(1000)
        .check(sql`commission_value >= 0`),
    )
    .addColumn('minimum_payout_cents', 'integer', (c) =>
      c
        .notNull()
        .defaultTo(0)
        .check(sql`minimum_payout_cents >= 0`),
    )
    .addColumn('tracking_days', 'integer', (c) =>
      c
        .notNull()
        .defaultTo(30)
        .check(sql`tracking_days between 1 and 365`),
    )
    .addColumn('referrer_order', 'text', (c) =>
      c
        .notNull()
        .defaultTo('LAST')
        .check(sql`referrer_order in ('FIRST', 'LAST')`),
    )
    .addColumn('payout_methods', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{PAYPAL}'`))
    .addColumn('custom_products', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('affiliates')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('code', 'text')
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('INVITED', 'PENDING', 'ACTIVE', 'REJECTED', 'DISABLED')`))
    .addColumn('payout_method', 'text')
    // Where the money goes (a PayPal e-mail, a wallet address): sealed like other secrets.
    .addColumn('payout_details_sealed', 'text')
    .addColumn('message', 'text')
    .addColumn('commission_type', 'text', (c) => c.check(sql`commission_type in ('PERCENTAGE', 'AMOUNT')`))
    .addColumn('commission_value', 'integer', (c) => c.check(sql`commission_value >= 0`))
    // Empty: every product the program lets affiliates promote.
    .addColumn('eligible_products', sql`integer[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    // sha256 of the invitation link's token: only its holder completes an invited application.
    .addColumn('invite_token_hash', 'text')
    .addColumn('invited_at', 'timestamptz')
    .addColumn('applied_at', 'timestamptz')
    .addColumn('reviewed_at', 'timestamptz')
    .addColumn('disabled_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // One application per person and store: a rejected applicant cannot start over.
  await sql`create unique index affiliates_store_email_uq on affiliates (store_id, lower(email))`.execute(db);
  await sql`create unique index affiliates_store_code_uq on affiliates (store_id, lower(code)) where code is not null`.execute(db);

  // Products affiliates may promote and what each pays, when the program's custom products are on.
  await db.schema
    .createTable('affiliate_product_rates')
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('product_id', 'integer', (c) => c.notNull().references('products.id'))
    .addColumn('commission_type', 'text', (c) => c.notNull().check(sql`commission_type in ('PERCENTAGE', 'AMOUNT')`))
    .addColumn('commission_value', 'integer', (c) => c.notNull().check(sql`commission_value >= 0`))
    .addPrimaryKeyConstraint('affiliate_product_rates_pk', ['store_id', 'product_id'])
    .execute();

  // Referral link visits the storefront reports, for the tracking window and first/last attribution.
  await db.schema
    .createTable('affiliate_clicks')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('affiliate_id', 'integer', (c) => c.notNull().references('affiliates.id'))
    .addColumn('visitor_id', 'text')
    .addColumn('customer_email', 'text')
    .addColumn('clicked_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('affiliate_clicks_visitor_idx')
    .on('affiliate_clicks')
    .columns(['store_id', 'visitor_id', 'clicked_at'])
    .execute();
  await db.schema
    .createIndex('affiliate_clicks_email_idx')
    .on('affiliate_clicks')
    .columns(['store_id', 'customer_email', 'clicked_at'])
    .execute();

  await db.schema
    .alterTable('coupons')
    .addColumn('affiliate_id', 'integer', (c) => c.references('affiliates.id'))
    .execute();
  await sql`create unique index coupons_affiliate_uq on coupons (affiliate_id) where affiliate_id is not null and deleted_at is null`.execute(
    db,
  );
  await db.schema
    .alterTable('invoices')
    .addColumn('affiliate_id', 'integer', (c) => c.references('affiliates.id'))
    .addColumn('affiliate_source', 'text', (c) => c.check(sql`affiliate_source in ('LINK', 'COUPON')`))
    .execute();

  await db.schema
    .createTable('affiliate_payout_cycles')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('cycle_date', 'text', (c) => c.notNull())
    .addColumn('cutoff', 'timestamptz', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('payouts_created', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('affiliate_payout_cycles_uq', ['store_id', 'cycle_date'])
    .execute();

  await db.schema
    .createTable('affiliate_payouts')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('affiliate_id', 'integer', (c) => c.notNull().references('affiliates.id'))
    .addColumn('cycle_id', 'integer', (c) => c.notNull().references('affiliate_payout_cycles.id'))
    .addColumn('livemode', 'boolean', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('DUE')
        .check(sql`status in ('DUE', 'PAID')`),
    )
    .addColumn('amount_cents', 'integer', (c) => c.notNull().check(sql`amount_cents > 0`))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('payout_method', 'text')
    .addColumn('payout_details_sealed', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('paid_at', 'timestamptz')
    .addUniqueConstraint('affiliate_payouts_cycle_uq', ['cycle_id', 'affiliate_id', 'livemode', 'currency'])
    .execute();
  await db.schema.createIndex('affiliate_payouts_store_idx').on('affiliate_payouts').columns(['store_id', 'status', 'id']).execute();

  await db.schema
    .createTable('affiliate_referrals')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('affiliate_id', 'integer', (c) => c.notNull().references('affiliates.id'))
    // One referral per order, however often its payment is reported.
    .addColumn('invoice_id', 'integer', (c) => c.notNull().references('invoices.id').unique())
    .addColumn('livemode', 'boolean', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('PENDING', 'IN_REVIEW', 'ACCEPTED', 'REJECTED')`))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('paid_amount_cents', 'integer', (c) => c.notNull())
    .addColumn('commission_cents', 'integer', (c) => c.notNull().check(sql`commission_cents >= 0`))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('calculation', 'jsonb', (c) => c.notNull())
    .addColumn('payment_method', 'text', (c) => c.notNull())
    .addColumn('purchased_at', 'timestamptz', (c) => c.notNull())
    .addColumn('eligible_at', 'timestamptz', (c) => c.notNull())
    .addColumn('voided_at', 'timestamptz')
    .addColumn('void_reason', 'text')
    .addColumn('payout_id', 'integer', (c) => c.references('affiliate_payouts.id'))
    .addColumn('timeline', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('affiliate_referrals_payable_idx')
    .on('affiliate_referrals')
    .columns(['store_id', 'status', 'payout_id', 'eligible_at'])
    .execute();
  await db.schema.createIndex('affiliate_referrals_affiliate_idx').on('affiliate_referrals').columns(['affiliate_id', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('affiliate_referrals').execute();
  await db.schema.dropTable('affiliate_payouts').execute();
  await db.schema.dropTable('affiliate_payout_cycles').execute();
  await db.schema.alterTable('invoices').dropColumn('affiliate_source').dropColumn('affiliate_id').execute();
  await sql`drop index coupons_affiliate_uq`.execute(db);
  await db.schema.alterTable('coupons').dropColumn('affiliate_id').execute();
  await db.schema.dropTable('affiliate_clicks').execute();
  await db.schema.dropTable('affiliate_product_rates').execute();
  await db.schema.dropTable('affiliates').execute();
  await db.schema.dropTable('affiliate_programs').execute();
}
