import type { ColumnType, Generated } from 'kysely';

/** The append-only, store-scoped event log (the outbox webhooks are delivered from). */
export interface EventsTable {
  id: string;
  store_id: number;
  livemode: boolean;
  type: string;
  data: ColumnType<Record<string, unknown>, string, string>;
  created_at: Generated<Date>;
}
