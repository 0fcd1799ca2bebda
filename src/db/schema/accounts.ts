import type { Generated } from 'kysely';

/** An owner of stores; API keys may belong to an account and see all of its stores. */
export interface AccountsTable {
  id: Generated<number>;
  name: string | null;
  created_at: Generated<Date>;
}
