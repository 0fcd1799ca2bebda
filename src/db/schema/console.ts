import type { Generated } from 'kysely';

/** A signed-in ops console session; the cookie's token is kept only as its SHA-256. */
export interface ConsoleSessionsTable {
  id: Generated<number>;
  token_hash: string;
  api_key_id: number;
  store_id: number;
  created_at: Generated<Date>;
  expires_at: Date;
}

/** One ops action taken from the console, shown on the order it touched. */
export interface OpsAuditLogTable {
  id: Generated<number>;
  store_id: number;
  api_key_id: number;
  /** Who: the key's name and prefix, as the person signed in with it. */
  actor: string;
  subject_type: 'order' | 'webhook_endpoint' | 'webhook_delivery' | 'grant';
  subject_id: number;
  invoice_id: number | null;
  action: string;
  reason: string;
  /** What came of it: `ok`, or the refusal or error. */
  outcome: string;
  detail: string | null;
  created_at: Generated<Date>;
}
