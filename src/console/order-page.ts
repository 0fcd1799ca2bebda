import type { Db } from '../db/schema';
import { orderEventIds } from '../events/of-order';
import { describeUnheard, unheardOrders } from '../outbox/engine-intents';
import { workflowIds } from '../temporal/workflow-ids';
import { auditOfOrder } from './audit';

/** Everything the order's console page shows, read in one round of parallel queries. */
export async function orderPage(db: Db, storeId: number, invoiceId: number, temporalUi: { url: string; namespace: string }) {
  const invoice = await db
    .selectFrom('invoices')
    .select([
      'id',
      'store_id',
      'livemode',
      'status',
      'status_history',
      'status_set_at',
      'customer_email',
      'customer_ip',
      'country',
      'payment_method',
      'currency',
      'total_cents',
      'needs_attention',
      'attention_reason',
      'expires_at',
      'paid_at',
      'completed_at',
      'created_at',
      'updated_at',
    ])
    .where('id', '=', invoiceId)
    .where('store_id', '=', storeId)
    .where('kind', '=', 'INVOICE')
    .executeTakeFirst();
  if (!invoice) return null;
  const [steps, payments, crypto, grants, webhooks, notifications, unheard, audit] = await Promise.all([
    db
      .selectFrom('delivery_steps as d')
      .innerJoin('invoice_lines as l', 'l.id', 'd.line_id')
      .select(['d.id', 'd.kind', 'd.status', 'd.attempts', 'd.reason', 'd.updated_at', 'l.title', 'l.quantity'])
      .where('d.invoice_id', '=', invoiceId)
      .orderBy('d.id')
      .execute(),
    db
      .selectFrom('gateway_events')
      .select(['id', 'provider', 'event_id', 'type', 'outcome', 'reason', 'received_at'])
      .where('invoice_id', '=', invoiceId)
      .orderBy('id')
      .execute(),
    db
      .selectFrom('crypto_payments')
      .select(['method', 'address', 'status', 'requested_units', 'received_units', 'confirmed_units', 'expires_at'])
      .where('invoice_id', '=', invoiceId)
      .executeTakeFirst(),
    db
      .selectFrom('community_grants')
      .select(['id', 'platform', 'status', 'reason', 'attempts', 'updated_at'])
      .where('invoice_id', '=', invoiceId)
      .orderBy('id')
      .execute(),
    // The store's events about this order, and each endpoint's delivery of them.
    db
      .selectFrom('webhook_deliveries as wd')
      .innerJoin('events as e', 'e.id', 'wd.event_id')
      .innerJoin('webhook_endpoints as w', 'w.id', 'wd.endpoint_id')
      .select([
        'wd.id',
        'e.type',
        'w.id as endpoint_id',
        'w.url',
        'w.status as endpoint_status',
        'wd.status',
        'wd.attempts',
        'wd.response_code',
        'wd.error',
        'wd.last_attempt_at',
      ])
      .where('e.id', 'in', orderEventIds(db, storeId, invoiceId))
      .orderBy('wd.id')
      .execute(),
    // And each notification channel's (Discord, e-mail).
    db
      .selectFrom('notification_deliveries as nd')
      .innerJoin('events as e', 'e.id', 'nd.event_id')
      .innerJoin('notification_channels as c', 'c.id', 'nd.channel_id')
      .select(['nd.id', 'e.type', 'c.kind', 'c.name', 'nd.status', 'nd.attempts', 'nd.error', 'nd.last_attempt_at'])
      .where('e.id', 'in', orderEventIds(db, storeId, invoiceId))
      .orderBy('nd.id')
      .execute(),
    unheardOrders(db, storeId).then((all) => all.filter((u) => u.invoice_id === invoiceId).map(describeUnheard)),
    auditOfOrder(db, storeId, invoiceId),
  ]);
  const workflowId = workflowIds.order(invoiceId);
  return {
    invoice,
    steps,
    payments,
    crypto,
    grants,
    webhooks,
    notifications,
    unheard,
    audit,
    workflowUrl: `${temporalUi.url}/namespaces/${encodeURIComponent(temporalUi.namespace)}/workflows/${encodeURIComponent(workflowId)}`,
  };
}

export type OrderPage = NonNullable<Awaited<ReturnType<typeof orderPage>>>;
