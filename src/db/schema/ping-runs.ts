import type { Generated } from 'kysely';

/** Written by the ping activity: proof that worker, server and database are wired together. */
export interface PingRunsTable {
  id: Generated<number>;
  workflow_id: string;
  message: string;
  created_at: Generated<Date>;
}
