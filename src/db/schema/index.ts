import type { Kysely, Transaction } from 'kysely';
import type { AccountsTable } from './accounts';
import type { ApiKeysTable } from './api-keys';
import type { PingRunsTable } from './ping-runs';
import type { StoresTable } from './stores';

export type { ApiKeyMode } from './api-keys';

export interface Database {
  accounts: AccountsTable;
  stores: StoresTable;
  api_keys: ApiKeysTable;
  ping_runs: PingRunsTable;
}

export type Db = Kysely<Database>;
export type DbTransaction = Transaction<Database>;
/** Either the database or an open transaction: services accept both. */
export type DbExecutor = Db | DbTransaction;
