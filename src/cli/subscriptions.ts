import { randomUUID } from 'node:crypto';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { findStoreBySlug } from '../accounts/stores';
import { loadConfig } from '../config';
import { SUBSCRIPTION_STATUSES, type SubscriptionStatus } from '../domain/subscription-lifecycle';
import { connectClient, externalAddress } from '../temporal/connection';
import { mainTaskQueue } from '../temporal/task-queues';
import { startReconciliation } from '../subscriptions/reconciliation-workflow-client';
import { CliError, printResult } from './output';
import { withDatabase } from './with-database';

export function registerSubscriptionCommands(program: Command): void {
  const subscriptions = program
    .command('subscriptions')
    .description('ops on subscriptions: list them, reconcile them with their workflows and Stripe');

  subscriptions
    .command('list')
    .description('list subscriptions, newest first')
    .option('--store <slug>', 'only this store')
    .option('--status <status>', `only this status: ${SUBSCRIPTION_STATUSES.join(', ')}`)
    .option('--json', 'print one JSON object')
    .action(async (opts: { store?: string; status?: string; json?: boolean }) => {
      if (opts.status && !SUBSCRIPTION_STATUSES.includes(opts.status as SubscriptionStatus))
        throw new CliError(`--status must be one of ${SUBSCRIPTION_STATUSES.join(', ')}`, 'invalid_argument');
      const rows = await withDatabase(async (db) => {
        let query = db
          .selectFrom('subscriptions')
          .select([
            'id',
            'store_id',
            'livemode',
            'status',
            'customer_email',
            'provider_subscription_id',
            'current_period_end',
            'cancel_at_period_end',
            'cancellation_in_progress',
          ]);
        if (opts.store) {
          const store = await findStoreBySlug(db, opts.store);
          if (!store) throw new CliError(`No store with slug "${opts.store}"`, 'not_found');
          query = query.where('store_id', '=', store.id);
        }
        if (opts.status) query = query.where('status', '=', opts.status as SubscriptionStatus);
        return query.orderBy('id', 'desc').limit(500).execute();
      });
      printResult(Boolean(opts.json), { subscriptions: rows }, () =>
        rows.length === 0
          ? 'No subscriptions.'
          : rows
              .map(
                (s) =>
                  `#${s.id}\tstore ${s.store_id}\t${s.status}${s.cancel_at_period_end ? ' (cancels at period end)' : ''}\tuntil ${s.current_period_end.toISOString()}\t${s.customer_email}`,
              )
              .join('\n'),
      );
    });

  subscriptions
    .command('reconcile')
    .description('run the subscription reconciliation now (the daily schedule runs it too) and report its repairs')
    .option('--json', 'print one JSON object')
    .action(async (opts: { json?: boolean }) => {
      const config = loadConfig();
      const temporal = await connectClient(config, externalAddress(config));
      const trigger = `cli:${randomUUID()}`;
      try {
        const handle = await startReconciliation(temporal.client, mainTaskQueue(config.temporal.taskQueuePrefix), { trigger });
        const report = await withDatabase(async (db) => {
          const bar =
            opts.json || !process.stderr.isTTY
              ? null
              : new SingleBar({ format: 'reconciling [{bar}] {value}/{total} subscriptions', stream: process.stderr });
          let finished = false;
          const result = handle.result().finally(() => (finished = true));
          while (!finished) {
            const run = await db
              .selectFrom('subscription_reconciliations')
              .select(['total', 'checked'])
              .where('trigger', '=', trigger)
              .executeTakeFirst();
            if (run && bar) {
              if (!bar.isActive) bar.start(run.total, run.checked);
              bar.update(run.checked);
            }
            await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, 250))]);
          }
          bar?.stop();
          const outcome = await result;
          const repairs = await db
            .selectFrom('subscription_repairs')
            .select(['subscription_id', 'store_id', 'problem', 'action', 'detail'])
            .where('reconciliation_id', '=', outcome.reconciliationId)
            .orderBy('id')
            .execute();
          return { reconciliation_id: outcome.reconciliationId, checked: outcome.checked, repaired: outcome.repaired, repairs };
        });
        printResult(Boolean(opts.json), report, () =>
          [
            `reconciliation #${report.reconciliation_id}: checked ${report.checked}, repaired ${report.repaired}`,
            ...report.repairs.map((r) => `  #${r.subscription_id} (store ${r.store_id}): ${r.problem} → ${r.action}`),
          ].join('\n'),
        );
      } finally {
        await temporal.close();
      }
    });
}
