import type { Client } from '@temporalio/client';
import type { Db } from '../db/schema';
import { startReconciliation } from './reconciliation-workflow-client';

/** A reconciliation normally reports at once; past this, the caller answers with the run still going. */
const REPLY_WITHIN_MS = 20_000;

/** Who looks: a store's key sees runs over its store; an account-wide key also the scheduled run over every store. */
export interface RunViewer {
  storeId: number;
  accountWide: boolean;
}

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

/** Runs with the repairs they made in this store (only this store's findings). */
export async function runViews(db: Db, storeId: number, runs: RunRow[]) {
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

/** The runs a viewer may see, with their progress. */
function visibleRuns(db: Db, viewer: RunViewer) {
  return db
    .selectFrom('subscription_reconciliations')
    .select(['id', 'trigger', 'store_id', 'status', 'total', 'checked', 'repaired', 'started_at', 'finished_at'])
    .where((eb) =>
      viewer.accountWide ? eb.or([eb('store_id', '=', viewer.storeId), eb('store_id', 'is', null)]) : eb('store_id', '=', viewer.storeId),
    );
}

/** The latest 20 runs, newest first. */
export async function recentRuns(db: Db, viewer: RunViewer) {
  return runViews(db, viewer.storeId, await visibleRuns(db, viewer).orderBy('id', 'desc').limit(20).execute());
}

export async function findRun(db: Db, viewer: RunViewer, id: number) {
  const run = await visibleRuns(db, viewer).where('id', '=', id).executeTakeFirst();
  return run && (await runViews(db, viewer.storeId, [run]))[0]!;
}

/**
 * Runs the reconciliation over the viewer's store now: the run, finished when it reported within
 * 20 s; null when it did not start (no worker running).
 */
export async function reconcileStoreNow(engine: { db: Db; client: Client; taskQueue: string }, viewer: RunViewer, trigger: string) {
  const handle = await startReconciliation(engine.client, engine.taskQueue, { trigger, storeId: viewer.storeId });
  const finished = await Promise.race([handle.result(), new Promise<null>((resolve) => setTimeout(() => resolve(null), REPLY_WITHIN_MS))]);
  let run = finished ? await visibleRuns(engine.db, viewer).where('id', '=', finished.reconciliationId).executeTakeFirst() : undefined;
  // Still going: answer with the run (its live progress is at GET …/{id}).
  for (let i = 0; !run && i < 50; i += 1) {
    run = await visibleRuns(engine.db, viewer).where('trigger', '=', trigger).executeTakeFirst();
    if (!run) await new Promise((r) => setTimeout(r, 100));
  }
  if (!run) return null;
  return { run: (await runViews(engine.db, viewer.storeId, [run]))[0]!, finished: finished !== null };
}
