import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../../../db/schema';
import type { ApiDependencies } from '../../context';
import { notFound } from '../../errors';
import type { DocumentedRouter } from '../../route';

const runParams = z.object({ reconciliation: z.coerce.number().int().positive() });
const repairView = z.object({ subscription_id: z.number(), problem: z.string(), action: z.string(), detail: z.record(z.string(), z.unknown()), created_at: z.string() });
const runView = z.object({
  id: z.number(),
  trigger: z.string(),
  status: z.enum(['running', 'finished']),
  total: z.number(),
  checked: z.number(),
  repaired: z.number(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  /** This store's findings only: a run covers every store. */
  repairs: z.array(repairView),
});

async function present(db: Db, storeId: number, runs: { id: number; trigger: string; status: 'running' | 'finished'; total: number; checked: number; repaired: number; started_at: Date; finished_at: Date | null }[]) {
  const repairs = runs.length
    ? await db.selectFrom('subscription_repairs').selectAll().where('store_id', '=', storeId).where('reconciliation_id', 'in', runs.map((r) => r.id)).orderBy('id').execute()
    : [];
  return runs.map((run) => ({
    ...run,
    started_at: run.started_at.toISOString(),
    finished_at: run.finished_at?.toISOString() ?? null,
    repairs: repairs
      .filter((r) => r.reconciliation_id === run.id)
      .map((r) => ({ subscription_id: r.subscription_id, problem: r.problem, action: r.action, detail: r.detail, created_at: r.created_at.toISOString() })),
  }));
}

/** Ops: the subscription reconciliation's runs (live progress while running) and a run on demand. */
export function registerReconciliationRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  const runs = () => deps.db.selectFrom('subscription_reconciliations').select(['id', 'trigger', 'status', 'total', 'checked', 'repaired', 'started_at', 'finished_at']);
  router
    .route({
      method: 'post',
      path: '/ops/subscription-reconciliations',
      summary: 'Run the subscription reconciliation now and wait for its report',
      tags: ['Ops'],
      scope: 'ops:write',
      response: z.object({ data: runView }),
      handler: async ({ auth }) => {
        const result = await deps.temporal.client.workflow.execute('subscriptionReconciliation', {
          taskQueue: deps.taskQueue,
          workflowId: `subscription-reconciliation-manual-${randomUUID()}`,
          args: [{ trigger: `api:key-${auth.keyId}` }],
          workflowExecutionTimeout: '10 minutes',
        });
        const run = await runs().where('id', '=', result.reconciliationId).executeTakeFirstOrThrow();
        return { data: (await present(deps.db, auth.store.id, [run]))[0]! };
      },
    })
    .route({
      method: 'get',
      path: '/ops/subscription-reconciliations',
      summary: 'The latest reconciliation runs, newest first, with what they repaired in this store',
      tags: ['Ops'],
      scope: 'ops:write',
      response: z.object({ data: z.array(runView) }),
      handler: async ({ auth }) => ({ data: await present(deps.db, auth.store.id, await runs().orderBy('id', 'desc').limit(20).execute()) }),
    })
    .route({
      method: 'get',
      path: '/ops/subscription-reconciliations/:reconciliation',
      summary: 'One run: progress (checked of total) while it runs, then its repairs',
      tags: ['Ops'],
      scope: 'ops:write',
      params: runParams,
      response: z.object({ data: runView }),
      handler: async ({ auth, params }) => {
        const run = await runs().where('id', '=', params.reconciliation).executeTakeFirst();
        if (!run) throw notFound('Reconciliation');
        return { data: (await present(deps.db, auth.store.id, [run]))[0]! };
      },
    });
}
