import { Router } from 'express';
import { sql } from 'kysely';
import type { ApiDependencies } from '../context';

type ComponentState = { status: 'up' } | { status: 'down'; error: string };

async function probe(check: () => Promise<unknown>, timeoutMs: number): Promise<ComponentState> {
  let timer: NodeJS.Timeout | undefined;
  const pending = check();
  // A check that loses the race may still fail later (e.g. gRPC retries): not unhandled.
  pending.catch(() => undefined);
  try {
    await Promise.race([
      pending,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: 'up' };
  } catch (error) {
    return { status: 'down', error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** GET /health: 200 when the database and Temporal both answer, 503 naming the one that does not. */
export function healthRouter(deps: ApiDependencies): Router {
  const router = Router();
  router.get('/health', async (_req, res) => {
    const [database, temporal] = await Promise.all([
      probe(() => sql`select 1`.execute(deps.db), 2_000),
      probe(() => deps.temporal.health(2_000), 2_500),
    ]);
    const down = [database.status === 'down' ? 'database' : null, temporal.status === 'down' ? 'temporal' : null].filter(
      (name): name is string => name !== null,
    );
    res.status(down.length === 0 ? 200 : 503).json({
      status: down.length === 0 ? 'ok' : 'degraded',
      down,
      database,
      temporal: { ...temporal, address: deps.temporal.address, namespace: deps.temporal.namespace },
    });
  });
  return router;
}
