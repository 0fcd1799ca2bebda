import { z } from 'zod';
import type { Selectable } from 'kysely';
import type { DbExecutor } from '../../../db/schema';
import type { TicketsTable } from '../../../db/schema/support';
import {
  addMessage,
  messageView,
  openTicket,
  requireTicket,
  requireTicketMessage,
  storeTickets,
  ticketMessages,
  ticketView,
  updateTicket,
} from '../../../support/tickets';
import type { ApiDependencies } from '../../context';
import { pageQuery } from '../../pagination';
import type { DocumentedRouter, RouteContext } from '../../route';
import { rowId } from '../../schemas/common';
import { SearchTranslator } from '../../search';
import { registerListAndSearch } from './resource-routes';

const ticketParams = z.object({ ticket: rowId });
const messageParams = ticketParams.extend({ message: rowId });
const content = z.object({ content: z.string().min(1).max(10_000) }).strict();
const view = z
  .object({ id: z.number(), title: z.string(), status: z.enum(['OPEN', 'CLOSED']) })
  .passthrough()
  .openapi('Ticket');
const message = z
  .object({ id: z.number(), author: z.enum(['STORE', 'CUSTOMER']), content: z.string() })
  .passthrough()
  .openapi('TicketMessage');
const ticketSearch = new SearchTranslator(
  {
    id: 'id',
    title: 'title',
    status: 'status',
    email: 'customer_email',
    invoice_id: 'invoice_id',
    created_at: 'created_at',
    updated_at: 'updated_at',
  },
  ['title', 'customer_email'],
);
const messageSearch = new SearchTranslator({ id: 'id', author: 'author', created_at: 'created_at' }, ['content']);

/** SellApp's tickets (v1 paths): list, search, retrieve, messages and the store's replies. */
export function registerTicketRoutes(
  router: DocumentedRouter,
  deps: ApiDependencies,
  // The v2 paths answer the spec's v2 model.
  views: (db: DbExecutor, rows: Selectable<TicketsTable>[]) => unknown[] | Promise<unknown[]> = (_db, rows) => rows.map(ticketView),
): void {
  const one = async (row: Selectable<TicketsTable>) => (await views(deps.db, [row]))[0];
  registerListAndSearch(router, deps, {
    path: '/tickets',
    noun: 'tickets',
    tags: ['Tickets'],
    item: view,
    scope: 'invoices:read',
    query: pageQuery,
    listSummary: 'List tickets, most recently active first',
    searchSummary: 'Search tickets (filters on status, email, invoice, dates; text search on title and e-mail)',
    from: (auth) => storeTickets(deps.db, auth.store.id),
    rows: (q) => q.selectAll(),
    translator: ticketSearch,
    order: [
      ['updated_at', 'desc'],
      ['id', 'desc'],
    ],
    view: (rows) => views(deps.db, rows),
  });

  /** A message added to a ticket, by the store (its reply) or the customer. */
  const postMessage = (author: 'STORE' | 'CUSTOMER', path: string, summary: string) => ({
    method: 'post' as const,
    path,
    summary,
    tags: ['Tickets'],
    scope: 'invoices:write' as const,
    modes: 'both' as const,
    params: ticketParams,
    body: content,
    status: 201,
    response: z.object({ data: message }),
    handler: async ({ auth, params, body }: RouteContext<z.infer<typeof ticketParams>, undefined, z.infer<typeof content>>) => ({
      data: messageView(
        await deps.db.transaction().execute((trx) => addMessage(trx, auth.store.id, params.ticket, { author, content: body.content })),
      ),
    }),
  });

  router
    .route({
      method: 'post',
      path: '/tickets',
      summary: 'A customer opens a ticket with its first message (not in the seed: how a storefront submits one)',
      tags: ['Tickets'],
      scope: 'invoices:write',
      modes: 'both',
      body: z
        .object({
          title: z.string().min(1).max(255),
          customer_email: z.string().email(),
          content: z.string().min(1).max(10_000),
          invoice_id: rowId.optional(),
        })
        .strict(),
      status: 201,
      response: z.object({ data: view }),
      handler: async ({ auth, body: { customer_email: customerEmail, invoice_id: invoiceId, ...ticket } }) => {
        const row = await deps.db.transaction().execute((trx) => openTicket(trx, auth.store.id, { ...ticket, customerEmail, invoiceId }));
        return { data: await one(row) };
      },
    })
    .route({
      method: 'get',
      path: '/tickets/:ticket',
      summary: 'Retrieve a ticket',
      tags: ['Tickets'],
      scope: 'invoices:read',
      params: ticketParams,
      response: z.object({ data: view }),
      handler: async ({ auth, params }) => ({ data: await one(await requireTicket(deps.db, auth.store.id, params.ticket)) }),
    })
    .route({
      method: 'patch',
      path: '/tickets/:ticket',
      summary: 'Close or reopen a ticket, or archive it',
      tags: ['Tickets'],
      scope: 'invoices:write',
      modes: 'both',
      params: ticketParams,
      body: z.object({ status: z.enum(['OPEN', 'CLOSED']).optional(), archived: z.boolean().optional() }).strict(),
      response: z.object({ data: view }),
      handler: async ({ auth, params, body }) => ({ data: await one(await updateTicket(deps.db, auth.store.id, params.ticket, body)) }),
    });
  registerListAndSearch(router, deps, {
    path: '/tickets/:ticket/messages',
    noun: 'messages',
    tags: ['Tickets'],
    item: message,
    scope: 'invoices:read',
    params: ticketParams,
    query: pageQuery,
    listSummary: 'A ticket’s messages, oldest first',
    searchSummary: 'Search a ticket’s messages',
    from: async (auth, _query, params) => {
      await requireTicket(deps.db, auth.store.id, params.ticket);
      return ticketMessages(deps.db, params.ticket);
    },
    rows: (q) => q.selectAll(),
    translator: messageSearch,
    order: [['id', 'asc']],
    view: (rows) => rows.map(messageView),
  });
  router
    .route(postMessage('STORE', '/tickets/:ticket/messages', 'Reply as the store'))
    .route(
      postMessage(
        'CUSTOMER',
        '/tickets/:ticket/customer-messages',
        'The customer writes again (not in the seed: how a storefront relays it)',
      ),
    )
    .route({
      method: 'get',
      path: '/tickets/:ticket/messages/:message',
      summary: 'One message of a ticket',
      tags: ['Tickets'],
      scope: 'invoices:read',
      params: messageParams,
      response: z.object({ data: message }),
      handler: async ({ auth, params }) => ({
        data: messageView(await requireTicketMessage(deps.db, auth.store.id, params.ticket, params.message)),
      }),
    });
}
