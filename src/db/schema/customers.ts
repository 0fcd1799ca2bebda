import type { ColumnType, Generated } from 'kysely';

/** A customer's own fields the seller sets: scalar values only. */
export type CustomerMetadata = Record<string, string | number | boolean | null>;

export interface CustomersTable {
  id: Generated<number>;
  store_id: number;
  livemode: boolean;
  /** Lower-case: one customer per e-mail within a store and mode. */
  email: string;
  /** The seller's own id for the customer: set once, then immutable. */
  external_id: string | null;
  name: string | null;
  locale: string | null;
  metadata: ColumnType<CustomerMetadata, string | undefined, string>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface CustomerSessionsTable {
  id: Generated<number>;
  store_id: number;
  livemode: boolean;
  customer_id: number;
  /** SHA-256 of the token; the token itself is shown once, at creation. */
  token_hash: string;
  created_by_key_id: number | null;
  expires_at: Date;
  revoked_at: Date | null;
  created_at: Generated<Date>;
}
