import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { rowId } from '../../schemas/common';
import type { Db } from '../../../db/schema';
import { startReconciliation } from '../../../subscriptions/reconciliation-workflow-client';
import type { ApiDependencies } from '../../context';
import { ApiError, notFound } from '../../errors';
import type { RequestAuth } from '../../middleware/authenticate';
import type { DocumentedRouter } from '../../route';

const REPLY_WITHIN_MS = 20_000;
const runParams = z.object({ reconciliation: rowId });
const repairView = z.object({
  subscription_id: z.number(),
  problem: z.string(),
  action: z.string(),
  detail: z.record(z.string(), z.unknown()),
  created_at: z.string(),
});
const runView = z.object({
  id: z.number(),
  trigger: z.string(),
  status: z.enum(['running', 'finished']),
  total: z.number(),
  checked: z.number(),
  repaired: z.number(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  /** `store` for a run over this store; `all` for the scheduled run over every store (account-wide keys). */
  scope: z.enum(['store', 'all']),
  /** This store's findings only. */
  repairs: z.array(repairView),
});

type RunRow = {
  id: number;
  trigger: string;
  store_id: number | null;
  status: 'running' | 'finished';
  total: number;
  checked: number;
  repaired: number;
  started_at: Date;
  finished_at: Date | null;
};

async function present(db: Db, storeId: number, runs: RunRow[]) {
  const repairs = runs.length
    ? await db
        .selectFrom('subscription_repairs')
        .selectAll()
        .where('store_id', '=', storeId)
        .where(
          'reconciliation_id',
          'in',
          runs.map((r) => r.id),
        )
        .orderBy('id')
        .execute()
    : [];
  return runs.map(({ store_id, ...run }) => ({
    ...run,
    scope: store_id === null ? ('all' as const) : ('store' as const),
    started_at: run.started_at.toISOString(),
    finished_at: run.finished_at?.toISOString() ?? null,
    repairs: repairs
      .filter((r) => r.reconciliation_id === run.id)
      .map((r) => ({
        subscription_id: r.subscription_id,
        problem: r.problem,
        action: r.action,
        detail: r.detail,
        created_at: r.created_at.toISOString(),
      })),
  }));
}

/**
 * Ops: the subscription reconciliation's runs (live progress while running) and a run on
 * demand. A store's key starts and sees runs over its own store; the scheduled run over
 * every store is seen by account-wide keys only, and then with the acting store's repairs.
 */
export function registerReconciliationRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  const runs = (auth: RequestAuth) =>
    deps.db
      .selectFrom('subscription_reconciliations')
      .select(['id', 'trigger', 'store_id', 'status', 'total', 'checked', 'repaired', 'started_at', 'finished_at'])
      .where((eb) =>
        auth.accountWide ? eb.or([eb('store_id', '=', auth.store.id), eb('store_id', 'is', null)]) : eb('store_id', '=', auth.store.id),
      );
  router
    .route({
      method: 'post',
      path: '/ops/subscription-reconciliations',
      summary:
        "Run the subscription reconciliation over this store's subscriptions now: 200 with its report when it finishes within 20 s, else 202 with the run to follow",
      tags: ['Ops'],
      scope: 'ops:write',
      response: z.object({ data: runView }),
      handler: async ({ auth, res }) => {
        const trigger = `api:key-${auth.keyId}:${randomUUID()}`;
        const handle = await startReconciliation(deps.temporal.client, deps.taskQueue, { trigger, storeId: auth.store.id });
        const finished = await Promise.race([
          handle.result(),
          new Promise<null>((resolve) => setTimeout(() => resolve(null), REPLY_WITHIN_MS)),
        ]);
        let run = finished ? await runs(auth).where('id', '=', finished.reconciliationId).executeTakeFirst() : undefined;
        // Still going: answer with the run (its live progress is at GET …/{id}).
        for (let i = 0; !run && i < 50; i += 1) {
          run = await runs(auth).where('trigger', '=', trigger).executeTakeFirst();
          if (!run) await new Promise((r) => setTimeout(r, 100));
        }
        if (!run)
          throw new ApiError(
            'service_unavailable',
            'reconciliation_not_started',
            'The reconciliation did not start; is a worker running?',
            { headers: { 'Retry-After': '30' } },
          );
        if (!finished) res.status(202);
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
      handler: async ({ auth }) => ({
        data: await present(deps.db, auth.store.id, await runs(auth).orderBy('id', 'desc').limit(20).execute()),
      }),
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
        const run = await runs(auth).where('id', '=', params.reconciliation).executeTakeFirst();
        if (!run) throw notFound('Reconciliation');
        return { data: (await present(deps.db, auth.store.id, [run]))[0]! };
      },
    });
}
