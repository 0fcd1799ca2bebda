import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // A customer is a store's buyer, one per e-mail (any case) and per seller external id, in each
  // world: a test invoice makes a test customer, never one the live store lists.
  await db.schema
    .createTable('customers')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('livemode', 'boolean', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text')
    .addColumn('name', 'text')
    .addColumn('locale', 'text')
    .addColumn('metadata', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create unique index customers_email_key on customers (store_id, livemode, lower(email))`.execute(db);
  await sql`create unique index customers_external_id_key on customers (store_id, livemode, external_id) where external_id is not null`.execute(
    db,
  );
  await db.schema
    .alterTable('invoices')
    .addColumn('customer_id', 'integer', (c) => c.references('customers.id'))
    .execute();
  // Every invoice so far gets its customer: one per store, world and e-mail, as old as its first invoice.
  await sql`insert into customers (store_id, livemode, email, created_at, updated_at)
    select store_id, livemode, lower(customer_email), min(created_at), max(created_at)
    from invoices group by store_id, livemode, lower(customer_email)`.execute(db);
  await sql`update invoices i set customer_id = c.id from customers c
    where c.store_id = i.store_id and c.livemode = i.livemode and c.email = lower(i.customer_email)`.execute(db);
  await sql`create index invoices_customer_idx on invoices (customer_id)`.execute(db);

  // A seller's app opens the customer portal for one customer with a short-lived token; only its hash is kept.
  await db.schema
    .createTable('customer_sessions')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('store_id', 'integer', (c) => c.notNull().references('stores.id'))
    .addColumn('livemode', 'boolean', (c) => c.notNull())
    .addColumn('customer_id', 'integer', (c) => c.notNull().references('customers.id'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_by_key_id', 'integer', (c) => c.references('api_keys.id'))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}
