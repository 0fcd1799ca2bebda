import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { rowId } from '../../schemas/common';
import { findRun, recentRuns, reconcileStoreNow, type RunViewer } from '../../../subscriptions/reconciliation-runs';
import type { ApiDependencies } from '../../context';
import { engineOf } from '../../engine';
import { ApiError, notFound } from '../../errors';
import type { RequestAuth } from '../../middleware/authenticate';
import type { DocumentedRouter } from '../../route';

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

/**
 * Ops: the subscription reconciliation's runs (live progress while running) and a run on
 * demand. A store's key starts and sees runs over its own store; the scheduled run over
 * every store is seen by account-wide keys only, and then with the acting store's repairs.
 */
export function registerReconciliationRoutes(router: DocumentedRouter, deps: ApiDependencies): void {
  const viewer = (auth: RequestAuth): RunViewer => ({ storeId: auth.store.id, accountWide: auth.accountWide });
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
        const started = await reconcileStoreNow(engineOf(deps), viewer(auth), trigger);
        if (!started)
          throw new ApiError(
            'service_unavailable',
            'reconciliation_not_started',
            'The reconciliation did not start; is a worker running?',
            { headers: { 'Retry-After': '30' } },
          );
        if (!started.finished) res.status(202);
        return { data: started.run };
      },
    })
    .route({
      method: 'get',
      path: '/ops/subscription-reconciliations',
      summary: 'The latest reconciliation runs, newest first, with what they repaired in this store',
      tags: ['Ops'],
      scope: 'ops:write',
      response: z.object({ data: z.array(runView) }),
      handler: async ({ auth }) => ({ data: await recentRuns(deps.db, viewer(auth)) }),
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
        const run = await findRun(deps.db, viewer(auth), params.reconciliation);
        if (!run) throw notFound('Reconciliation');
        return { data: run };
      },
    });
}
