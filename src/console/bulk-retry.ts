import { randomUUID } from 'node:crypto';
import type { EngineConnection } from '../outbox/engine-intents';
import { unheardOrders } from '../outbox/engine-intents';
import { retryFulfillment } from '../orders/order-ops';
import type { Logger } from '../logger';
import { audited, refusalShown } from './audit';
import type { ConsoleSession } from './sessions';

/** At most this many orders per bulk retry: a bigger backlog is a few clicks, not one long request. */
export const BULK_LIMIT = 500;

/**
 * Retries every stuck order of the store (flagged and waiting on a failed step, or unheard by
 * the engine), each audited with the reason and the run's id. Runs after the answer; the
 * progress page reads the run back from the audit log, so any API process can show it.
 */
export async function startBulkRetry(
  engine: EngineConnection,
  session: ConsoleSession,
  reason: string,
  logger: Logger,
): Promise<{ runId: string; total: number }> {
  const [flagged, unheard] = await Promise.all([
    engine.db
      .selectFrom('invoices')
      .select(['id', 'store_id', 'status', 'expires_at', 'needs_attention'])
      .where('store_id', '=', session.store.id)
      .where('needs_attention', '=', true)
      .where('status', '=', 'PAID')
      .orderBy('id')
      .limit(BULK_LIMIT)
      .execute(),
    unheardOrders(engine.db, session.store.id),
  ]);
  const ids = [...new Set([...flagged.map((o) => o.id), ...unheard.map((u) => u.invoice_id)])].slice(0, BULK_LIMIT);
  const runId = randomUUID();
  void (async () => {
    for (const id of ids) {
      await audited(
        engine.db,
        session,
        { subjectType: 'order', subjectId: id, invoiceId: id, action: 'retry', reason, detail: `bulk ${runId}` },
        () => refusalShown(() => retryFulfillment(engine, id, session.store.id)),
      ).catch((error: unknown) => logger.error({ err: error, invoiceId: id }, 'bulk retry of an order failed'));
    }
  })();
  return { runId, total: ids.length };
}

export type BulkOrderState = 'retrying' | 'delivered' | 'stuck again' | 'not retried';

/** Where each order of a bulk run stands: its retry's outcome, then what the order did since. */
export async function bulkProgress(engine: EngineConnection, storeId: number, runId: string) {
  const rows = await engine.db
    .selectFrom('ops_audit_log as a')
    .innerJoin('invoices as i', 'i.id', 'a.invoice_id')
    .select(['a.invoice_id', 'a.outcome', 'a.created_at', 'i.status', 'i.needs_attention', 'i.updated_at'])
    .where('a.store_id', '=', storeId)
    .where('a.detail', '=', `bulk ${runId}`)
    .orderBy('a.id')
    .execute();
  const orders = rows.map((r) => {
    const state: BulkOrderState =
      r.outcome !== 'ok'
        ? 'not retried'
        : r.status === 'COMPLETED'
          ? 'delivered'
          : r.needs_attention && r.updated_at > r.created_at
            ? 'stuck again'
            : 'retrying';
    return { invoiceId: r.invoice_id!, state, outcome: r.outcome };
  });
  const count = (state: BulkOrderState) => orders.filter((o) => o.state === state).length;
  return { orders, delivered: count('delivered'), stuck: count('stuck again'), refused: count('not retried'), retrying: count('retrying') };
}
