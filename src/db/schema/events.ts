import type { ColumnType, Generated } from 'kysely';

/** The append-only, store-scoped event log (the outbox webhooks are delivered from). */
export interface EventsTable {
  id: string;
  store_id: number;
  livemode: boolean;
  type: string;
  data: ColumnType<Record<string, unknown>, string, string>;
  created_at: Generated<Date>;
  dispatched_at: Date | null;
}

export interface WebhookEndpointsTable {
  id: Generated<number>;
  store_id: number;
  livemode: boolean;
  url: string;
  description: string | null;
  events: ColumnType<string[], string[], string[]>;
  secret_sealed: string;
  status: Generated<'active' | 'paused'>;
  consecutive_failures: Generated<number>;
  paused_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  deleted_at: Date | null;
}

/** The store-wide signing secret of SellApp's webhook channels, one a mode. */
export interface WebhookSigningSecretsTable {
  store_id: number;
  livemode: boolean;
  secret_sealed: string;
  rotated_at: Generated<Date>;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  endpoint_id: number;
  event_id: string;
  status: Generated<'pending' | 'succeeded' | 'failed'>;
  attempts: Generated<number>;
  response_code: number | null;
  duration_ms: number | null;
  error: string | null;
  last_attempt_at: Date | null;
  created_at: Generated<Date>;
}

export interface NotificationChannelsTable {
  id: Generated<number>;
  store_id: number;
  livemode: boolean;
  kind: 'discord' | 'email';
  name: string | null;
  settings_sealed: string;
  events: ColumnType<string[], string[], string[]>;
  created_at: Generated<Date>;
  deleted_at: Date | null;
}

export interface NotificationDeliveriesTable {
  id: Generated<number>;
  channel_id: number;
  event_id: string;
  status: Generated<'pending' | 'succeeded' | 'failed'>;
  attempts: Generated<number>;
  error: string | null;
  last_attempt_at: Date | null;
  created_at: Generated<Date>;
}
