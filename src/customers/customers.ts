import { type Selectable, sql } from 'kysely';
import { laravelTime } from '../catalog/views/timestamps';
import type { DbExecutor } from '../db/schema';
import type { CustomerMetadata, CustomersTable } from '../db/schema/customers';
import { AWAITING_PAYMENT_STATUSES } from '../domain/invoice-status';
import { CustomerConflictError, CustomerNotFoundError, CustomerRuleError } from './errors';

/** Whose customers: one store, one world (live or test). */
export interface CustomerScope {
  storeId: number;
  livemode: boolean;
}

export type CustomerRow = Selectable<CustomersTable>;

/** What a seller may set on a customer; `undefined` leaves a field as it is. */
export interface CustomerFields {
  email?: string;
  name?: string | null;
  locale?: string | null;
  metadata?: CustomerMetadata;
  externalId?: string;
}

const normalEmail = (email: string) => email.trim().toLowerCase();

/**
 * The customer an invoice of this e-mail belongs to, made on its first order. Runs in the
 * invoice's own transaction, so an invoice never exists without its customer.
 */
export async function customerForEmail(trx: DbExecutor, scope: CustomerScope, email: string): Promise<number> {
  const address = normalEmail(email);
  const find = () =>
    trx
      .selectFrom('customers')
      .select('id')
      .where('store_id', '=', scope.storeId)
      .where('livemode', '=', scope.livemode)
      .where(sql`lower(email)`, '=', address)
      .executeTakeFirst();
  const existing = await find();
  if (existing) return existing.id;
  // Two first orders of one e-mail at once: the unique index lets one insert win, the other reads it.
  const made = await trx
    .insertInto('customers')
    .values({ store_id: scope.storeId, livemode: scope.livemode, email: address, external_id: null, name: null, locale: null })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  if (made) return made.id;
  return (await find())!.id;
}

/** An existing customer a seller names for an invoice: by record id or by the seller's own external id. */
export type CustomerReference = { id: number } | { externalId: string };

/** The id of the customer a seller names, if the store and world have them (null if not). */
export async function namedCustomerId(trx: DbExecutor, scope: CustomerScope, named: CustomerReference): Promise<number | null> {
  const found = await storeCustomers(trx, scope)
    .select('id')
    .where((eb) => ('id' in named ? eb('id', '=', named.id) : eb('external_id', '=', named.externalId)))
    .executeTakeFirst();
  return found?.id ?? null;
}

/** A store's customers (of the caller's mode), nothing selected yet: lists and searches page through it. */
export const storeCustomers = (db: DbExecutor, scope: CustomerScope) =>
  db.selectFrom('customers').where('store_id', '=', scope.storeId).where('livemode', '=', scope.livemode);

export async function findCustomer(db: DbExecutor, scope: CustomerScope, id: number): Promise<CustomerRow> {
  const row = await storeCustomers(db, scope).selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new CustomerNotFoundError();
  return row;
}

export async function findCustomerByExternalId(db: DbExecutor, scope: CustomerScope, externalId: string): Promise<CustomerRow> {
  const row = await storeCustomers(db, scope).selectAll().where('external_id', '=', externalId).executeTakeFirst();
  if (!row) throw new CustomerNotFoundError();
  return row;
}

async function emailTakenBy(db: DbExecutor, scope: CustomerScope, email: string): Promise<number | null> {
  const row = await storeCustomers(db, scope)
    .select('id')
    .where(sql`lower(email)`, '=', normalEmail(email))
    .executeTakeFirst();
  return row?.id ?? null;
}

async function externalIdTakenBy(db: DbExecutor, scope: CustomerScope, externalId: string): Promise<number | null> {
  const row = await storeCustomers(db, scope).select('id').where('external_id', '=', externalId).executeTakeFirst();
  return row?.id ?? null;
}

/** The unique indexes' verdict when a concurrent request took the e-mail or external id first. */
function uniqueViolation(error: unknown): never {
  const constraint = (error as { constraint?: string }).constraint;
  if (constraint === 'customers_email_key') throw new CustomerConflictError('email_taken', 'Another customer has this e-mail', 'email');
  if (constraint === 'customers_external_id_key')
    throw new CustomerConflictError('external_id_taken', 'Another customer has this external_id', 'external_id');
  throw error;
}

/** A new customer; an e-mail or external id another customer has is a 409. */
export async function createCustomer(
  trx: DbExecutor,
  scope: CustomerScope,
  fields: CustomerFields & { email: string },
): Promise<CustomerRow> {
  if ((await emailTakenBy(trx, scope, fields.email)) !== null)
    throw new CustomerConflictError('email_taken', 'A customer with this e-mail already exists', 'email');
  if (fields.externalId !== undefined && (await externalIdTakenBy(trx, scope, fields.externalId)) !== null)
    throw new CustomerConflictError('external_id_taken', 'A customer with this external_id already exists', 'external_id');
  return trx
    .insertInto('customers')
    .values({
      store_id: scope.storeId,
      livemode: scope.livemode,
      email: normalEmail(fields.email),
      external_id: fields.externalId ?? null,
      name: fields.name ?? null,
      locale: fields.locale ?? null,
      metadata: JSON.stringify(fields.metadata ?? {}),
    })
    .returningAll()
    .executeTakeFirstOrThrow()
    .catch(uniqueViolation);
}

/**
 * Changes a customer: name, locale and e-mail freely (an e-mail another customer has is a 422),
 * metadata replaced whole, and external_id only while it is unset (changing one is a 409).
 * Past invoices keep the e-mail they were made with; new orders of the new e-mail join this customer.
 */
export async function updateCustomer(
  trx: DbExecutor,
  scope: CustomerScope,
  current: CustomerRow,
  change: CustomerFields,
): Promise<CustomerRow> {
  if (change.externalId !== undefined && current.external_id !== null && change.externalId !== current.external_id)
    throw new CustomerConflictError('external_id_immutable', 'external_id is set once and never changes', 'external_id');
  if (change.email !== undefined) {
    const holder = await emailTakenBy(trx, scope, change.email);
    if (holder !== null && holder !== current.id) throw new CustomerRuleError('email_taken', 'Another customer has this e-mail', 'email');
  }
  if (change.externalId !== undefined && current.external_id === null) {
    const holder = await externalIdTakenBy(trx, scope, change.externalId);
    if (holder !== null && holder !== current.id)
      throw new CustomerConflictError('external_id_taken', 'Another customer has this external_id', 'external_id');
  }
  return trx
    .updateTable('customers')
    .set({
      email: change.email === undefined ? current.email : normalEmail(change.email),
      name: change.name === undefined ? current.name : change.name,
      locale: change.locale === undefined ? current.locale : change.locale,
      metadata: JSON.stringify(change.metadata ?? current.metadata),
      external_id: current.external_id ?? change.externalId ?? null,
      updated_at: new Date(),
    })
    .where('id', '=', current.id)
    .returningAll()
    .executeTakeFirstOrThrow()
    .catch(uniqueViolation);
}

/**
 * What a signed-in customer may change on themselves: name, locale and metadata, never the e-mail.
 * New invoices join the customer of their e-mail, so an e-mail the buyer could set without proving
 * they own it would pull a stranger's future orders into their portal (and tell them who buys
 * here); the seller changes it. Sending the e-mail the customer already has changes nothing and
 * is accepted, so a client that sends the profile back whole still works.
 */
export function selfServiceChange(current: CustomerRow, change: CustomerFields): CustomerFields {
  if (change.email !== undefined && normalEmail(change.email) !== normalEmail(current.email))
    throw new CustomerRuleError(
      'email_not_changeable',
      'The customer portal cannot change the e-mail; the seller changes it (PATCH /v2/customers/{id})',
      'email',
    );
  return { name: change.name, locale: change.locale, metadata: change.metadata };
}

/** PUT by external id: the customer with it is updated, or made with it. */
export async function upsertCustomerByExternalId(
  trx: DbExecutor,
  scope: CustomerScope,
  externalId: string,
  fields: CustomerFields & { email: string },
): Promise<{ row: CustomerRow; created: boolean }> {
  const existing = await storeCustomers(trx, scope).selectAll().where('external_id', '=', externalId).executeTakeFirst();
  if (existing) return { row: await updateCustomer(trx, scope, existing, { ...fields, externalId: undefined }), created: false };
  if ((await emailTakenBy(trx, scope, fields.email)) !== null)
    throw new CustomerRuleError('email_taken', 'Another customer has this e-mail', 'email');
  return { row: await createCustomer(trx, scope, { ...fields, externalId }), created: true };
}

export interface CustomerInsights {
  orders_count: number;
  line_items_count: number;
  completed_line_items_count: number;
  pending_line_items_count: number;
  voided_line_items_count: number;
  subscriptions_count: number;
  revenue_usd_cents: number;
  first_purchase_at: string | null;
  last_purchase_at: string | null;
  favorite_payment_method: string | null;
}

const NO_INSIGHTS: CustomerInsights = {
  orders_count: 0,
  line_items_count: 0,
  completed_line_items_count: 0,
  pending_line_items_count: 0,
  voided_line_items_count: 0,
  subscriptions_count: 0,
  revenue_usd_cents: 0,
  first_purchase_at: null,
  last_purchase_at: null,
  favorite_payment_method: null,
};

/** What the customers' orders add up to, for a page of customers at once. */
async function insightsOf(db: DbExecutor, ids: number[]): Promise<Map<number, CustomerInsights>> {
  const out = new Map<number, CustomerInsights>();
  if (ids.length === 0) return out;
  const awaiting = sql.join(AWAITING_PAYMENT_STATUSES.map((s) => sql.lit(s)));
  const orders = await db
    .selectFrom('invoices as i')
    .leftJoin('invoice_lines as l', 'l.invoice_id', 'i.id')
    .where('i.customer_id', 'in', ids)
    .select([
      'i.customer_id',
      sql<string>`count(distinct i.id)`.as('orders'),
      sql<string>`count(l.id)`.as('lines'),
      sql<string>`count(l.id) filter (where i.status = 'COMPLETED')`.as('completed'),
      sql<string>`count(l.id) filter (where i.status in (${awaiting}))`.as('pending'),
      sql<string>`count(l.id) filter (where i.status = 'VOIDED')`.as('voided'),
      // Completed lines in USD only: Sellflow converts no currencies.
      sql<string>`coalesce(sum(l.total_cents) filter (where i.status = 'COMPLETED' and i.currency = 'USD'), 0)`.as('revenue'),
      sql<Date | null>`min(i.paid_at)`.as('first_paid'),
      sql<Date | null>`max(i.paid_at)`.as('last_paid'),
    ])
    .groupBy('i.customer_id')
    .execute();
  const methods = await db
    .selectFrom('invoices')
    .where('customer_id', 'in', ids)
    .select(['customer_id', 'payment_method', sql<string>`count(*)`.as('n'), sql<Date>`max(created_at)`.as('latest')])
    .groupBy(['customer_id', 'payment_method'])
    .execute();
  const subscriptions = await db
    .selectFrom('subscriptions as s')
    .innerJoin('invoices as i', 'i.id', 's.invoice_id')
    .where('i.customer_id', 'in', ids)
    .select(['i.customer_id', sql<string>`count(*)`.as('n')])
    .groupBy('i.customer_id')
    .execute();
  const favorite = new Map<number, { method: string; n: number; latest: Date }>();
  for (const m of methods) {
    const best = favorite.get(m.customer_id!);
    const n = Number(m.n);
    if (!best || n > best.n || (n === best.n && m.latest > best.latest))
      favorite.set(m.customer_id!, { method: m.payment_method, n, latest: m.latest });
  }
  const subscriptionCount = new Map(subscriptions.map((s) => [s.customer_id!, Number(s.n)]));
  for (const o of orders) {
    out.set(o.customer_id!, {
      orders_count: Number(o.orders),
      line_items_count: Number(o.lines),
      completed_line_items_count: Number(o.completed),
      pending_line_items_count: Number(o.pending),
      voided_line_items_count: Number(o.voided),
      subscriptions_count: subscriptionCount.get(o.customer_id!) ?? 0,
      revenue_usd_cents: Number(o.revenue),
      first_purchase_at: laravelTime(o.first_paid ? new Date(o.first_paid) : null),
      last_purchase_at: laravelTime(o.last_paid ? new Date(o.last_paid) : null),
      favorite_payment_method: favorite.get(o.customer_id!)?.method ?? null,
    });
  }
  return out;
}

/** A customer as the seller sees it (the spec's Customer: no IP, billing or community identity). */
export function customerProfile(row: CustomerRow) {
  return {
    id: row.id,
    email: row.email,
    external_id: row.external_id,
    name: row.name,
    locale: row.locale,
    metadata: row.metadata,
  };
}

export async function customerViews(db: DbExecutor, rows: CustomerRow[]) {
  const insights = await insightsOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((row) => ({
    ...customerProfile(row),
    insights: insights.get(row.id) ?? NO_INSIGHTS,
    created_at: laravelTime(row.created_at),
    updated_at: laravelTime(row.updated_at),
  }));
}

export async function customerView(db: DbExecutor, row: CustomerRow) {
  return (await customerViews(db, [row]))[0]!;
}
