import { Gauge, Registry } from 'prom-client';
import type { Db } from '../db/schema';
import { unheardOrders } from '../outbox/engine-intents';

/**
 * What the database says now, read at scrape time: orders by status and what needs a person.
 * A registry of its own per app, since each app (tests make several) reads its own database.
 */
export function stateRegistry(db: Db): Registry {
  const registry = new Registry();
  new Gauge({
    name: 'sellflow_orders',
    help: 'Orders (invoices) by status',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const rows = await db
        .selectFrom('invoices')
        .select(['status', (eb) => eb.fn.countAll<string>().as('count')])
        .where('kind', '=', 'INVOICE')
        .groupBy('status')
        .execute();
      this.reset();
      for (const row of rows) this.set({ status: row.status }, Number(row.count));
    },
  });
  new Gauge({
    name: 'sellflow_needs_attention',
    help: 'What waits for a person: orders flagged (failed step, payment mismatch, crypto flag), orders the engine has not heard, community grants needing manual action, paused webhook endpoints, subscriptions past due',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      const count = (query: { executeTakeFirstOrThrow(): Promise<{ count: string | number | bigint }> }) =>
        query.executeTakeFirstOrThrow().then((r) => Number(r.count));
      const [orders, unheard, grants, endpoints, subscriptions] = await Promise.all([
        count(
          db
            .selectFrom('invoices')
            .select((eb) => eb.fn.countAll<string>().as('count'))
            .where('needs_attention', '=', true),
        ),
        unheardOrders(db).then((rows) => new Set(rows.map((r) => r.invoice_id)).size),
        count(
          db
            .selectFrom('community_grants')
            .select((eb) => eb.fn.countAll<string>().as('count'))
            .where('status', '=', 'needs_manual_action'),
        ),
        count(
          db
            .selectFrom('webhook_endpoints')
            .select((eb) => eb.fn.countAll<string>().as('count'))
            .where('status', '=', 'paused')
            .where('deleted_at', 'is', null),
        ),
        count(
          db
            .selectFrom('subscriptions')
            .select((eb) => eb.fn.countAll<string>().as('count'))
            .where('status', '=', 'PAST_DUE'),
        ),
      ]);
      this.set({ kind: 'orders' }, orders);
      this.set({ kind: 'unheard_orders' }, unheard);
      this.set({ kind: 'grants' }, grants);
      this.set({ kind: 'webhook_endpoints' }, endpoints);
      this.set({ kind: 'subscriptions' }, subscriptions);
    },
  });
  return registry;
}
