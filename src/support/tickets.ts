import { randomUUID } from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import { customerNumber } from '../orders/customer-number';
import { laravelTime } from '../catalog/views/timestamps';
import { CatalogNotFoundError, CatalogRuleError } from '../catalog/errors';
import type { DbExecutor } from '../db/schema';
import type { TicketMessagesTable, TicketsTable } from '../db/schema/support';
import { recordEvent } from '../events/record';

/**
 * The official ticket model: the customer's id is their customer number, `reference` the ids of
 * the orders it is about (as strings), `read_by` how many of the store's people have read it.
 */
export function ticketView(row: Selectable<TicketsTable>) {
  return {
    id: row.id,
    title: row.title,
    status: row.status,
    customer: { id: customerNumber(row.store_id, row.customer_email), email: row.customer_email },
    reference: row.invoice_id ? [String(row.invoice_id)] : [],
    invoice_id: row.invoice_id,
    created_at: laravelTime(row.created_at),
    updated_at: laravelTime(row.updated_at),
    store_id: row.store_id,
    read_by: row.read_by.length,
    archived: row.archived ? 1 : 0,
  };
}

/** The spec's v2 ticket model: the order as an object reference, read state, the order id and the message count. */
export async function ticketViewsV2(db: DbExecutor, rows: Selectable<TicketsTable>[]) {
  const counts =
    rows.length === 0
      ? []
      : await db
          .selectFrom('ticket_messages')
          .select(['ticket_id', sql<string>`count(*)`.as('n')])
          .where(
            'ticket_id',
            'in',
            rows.map((r) => r.id),
          )
          .groupBy('ticket_id')
          .execute();
  return rows.map((row) => {
    const { reference: _reference, read_by: readBy, ...common } = ticketView(row);
    return {
      ...common,
      reference: row.invoice_id ? { type: 'order', id: row.invoice_id } : {},
      read_status: { read: readBy > 0, read_by: readBy },
      order_id: row.invoice_id,
      reason: null,
      message_count: Number(counts.find((c) => c.ticket_id === row.id)?.n ?? 0),
    };
  });
}

export function messageView(row: Selectable<TicketMessagesTable>) {
  return {
    id: row.id,
    author: row.author,
    sender: row.sender,
    content: row.content,
    created_at: laravelTime(row.created_at),
    updated_at: laravelTime(row.updated_at),
    ticket_id: row.ticket_id,
  };
}

/** A store's tickets; nothing selected yet. */
export function storeTickets(db: DbExecutor, storeId: number) {
  return db.selectFrom('tickets').where('store_id', '=', storeId);
}

export async function requireTicket(db: DbExecutor, storeId: number, id: number) {
  const row = await storeTickets(db, storeId).selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new CatalogNotFoundError('Ticket');
  return row;
}

/** A ticket's messages; nothing selected yet (the caller has checked the ticket is the store's). */
export function ticketMessages(db: DbExecutor, ticketId: number) {
  return db.selectFrom('ticket_messages').where('ticket_id', '=', ticketId);
}

/** One message of the store's ticket. */
export async function requireTicketMessage(db: DbExecutor, storeId: number, ticketId: number, id: number) {
  await requireTicket(db, storeId, ticketId);
  const row = await ticketMessages(db, ticketId).selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new CatalogNotFoundError('Ticket message');
  return row;
}

async function livemodeOf(db: DbExecutor, ticket: { invoice_id: number | null }): Promise<boolean> {
  if (!ticket.invoice_id) return true;
  const invoice = await db.selectFrom('invoices').select('livemode').where('id', '=', ticket.invoice_id).executeTakeFirst();
  return invoice?.livemode ?? true;
}

/** Adds a message; the store hears of it (ticket_message.created) and the ticket moves up. */
export async function addMessage(
  trx: DbExecutor,
  storeId: number,
  ticketId: number,
  message: { author: 'STORE' | 'CUSTOMER'; content: string },
) {
  const ticket = await requireTicket(trx, storeId, ticketId);
  if (ticket.status === 'CLOSED' && message.author === 'CUSTOMER')
    throw new CatalogRuleError('ticket_closed', 'The ticket is closed', 'ticket');
  const row = await trx
    .insertInto('ticket_messages')
    .values({
      ticket_id: ticket.id,
      author: message.author,
      sender: message.author === 'CUSTOMER' ? ticket.customer_email : null,
      content: message.content,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await trx
    .updateTable('tickets')
    .set({ updated_at: sql`now()` })
    .where('id', '=', ticket.id)
    .execute();
  await recordEvent(trx, {
    storeId,
    livemode: await livemodeOf(trx, ticket),
    type: 'ticket_message.created',
    data: { id: row.id, ticket_id: ticket.id, author: row.author },
  });
  return row;
}

/** A customer opens a ticket (optionally about one of their orders) with its first message. */
export async function openTicket(
  trx: DbExecutor,
  storeId: number,
  input: { title: string; customerEmail: string; content: string; invoiceId?: number },
) {
  if (input.invoiceId !== undefined) {
    const invoice = await trx
      .selectFrom('invoices')
      .select(['id', 'customer_email'])
      .where('id', '=', input.invoiceId)
      .where('store_id', '=', storeId)
      .executeTakeFirst();
    if (!invoice) throw new CatalogRuleError('invalid_field', `No invoice ${input.invoiceId} in this store`, 'invoice_id');
  }
  const email = input.customerEmail.toLowerCase();
  // The same customer keeps one id across their tickets.
  const known = await trx
    .selectFrom('tickets')
    .select('customer_id')
    .where('store_id', '=', storeId)
    .where('customer_email', '=', email)
    .executeTakeFirst();
  const ticket = await trx
    .insertInto('tickets')
    .values({
      store_id: storeId,
      title: input.title,
      customer_id: known?.customer_id ?? randomUUID(),
      customer_email: email,
      invoice_id: input.invoiceId ?? null,
      read_by: JSON.stringify([]),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await addMessage(trx, storeId, ticket.id, { author: 'CUSTOMER', content: input.content });
  return ticket;
}

/** The store closes or reopens a ticket, or archives it. */
export async function updateTicket(
  db: DbExecutor,
  storeId: number,
  id: number,
  change: { status?: 'OPEN' | 'CLOSED'; archived?: boolean },
) {
  await requireTicket(db, storeId, id);
  return db
    .updateTable('tickets')
    .set({ ...change, updated_at: sql`now()` })
    .where('id', '=', id)
    .where('store_id', '=', storeId)
    .returningAll()
    .executeTakeFirstOrThrow();
}
