import { sql } from 'kysely';
import type { Db } from '../src/db/schema';
import type { PingRecord } from '../src/temporal/contracts/ping';

/**
 * Records that a ping went worker → server → database. The workflow's id is the
 * idempotency key: a retried activity finds its row instead of writing a second one.
 */
export function createPingActivities(deps: { db: Db }) {
  return {
    async recordPing(input: { message: string; workflowId: string }): Promise<PingRecord> {
      const { workflowId } = input;
      await deps.db
        .insertInto('ping_runs')
        .values({ workflow_id: workflowId, message: input.message })
        .onConflict((oc) => oc.column('workflow_id').doNothing())
        .execute();
      const row = await deps.db
        .selectFrom('ping_runs')
        .select(['workflow_id', 'message', 'created_at', sql<Date>`now()`.as('now')])
        .where('workflow_id', '=', workflowId)
        .executeTakeFirstOrThrow();
      return {
        workflowId: row.workflow_id,
        message: row.message,
        recordedAt: row.created_at.toISOString(),
        databaseTime: row.now.toISOString(),
      };
    },
  };
}

export type PingActivities = ReturnType<typeof createPingActivities>;
