import type { ColumnType, Generated } from 'kysely';
import type { CryptoPaymentStatus } from '../../domain/crypto-payment';

/** numeric(78,0): read as a decimal string, written from a bigint's string. */
type Units = ColumnType<string, string, string>;

export interface CryptoWalletsTable {
  method: string;
  /** The extended key's id (same key = same addresses), or the receiving address itself. */
  wallet_id: string;
  next_index: Generated<number>;
  created_at: Generated<Date>;
}

export interface CryptoPaymentsTable {
  invoice_id: number;
  store_id: number;
  method: string;
  wallet_id: string;
  address: string;
  derivation_index: number | null;
  /** Fiat per whole coin, as quoted at checkout and fixed for the window. */
  rate: string;
  fiat_cents: number;
  fiat_currency: string;
  requested_units: Units;
  received_units: ColumnType<string, string | undefined, string>;
  confirmed_units: ColumnType<string, string | undefined, string>;
  required_confirmations: number;
  /** Shortfall accepted as paid, in basis points of requested_units (the store's setting at checkout). */
  underpaid_tolerance_bp: ColumnType<number, number | undefined, number>;
  status: ColumnType<CryptoPaymentStatus, CryptoPaymentStatus | undefined, CryptoPaymentStatus>;
  cursor: ColumnType<{ nextBlock: number } | null, string | null, string | null>;
  /** Chain height at checkout (Esplora): older confirmed money is not this invoice's. */
  start_height: number | null;
  expires_at: Date;
  late_watch_until: Date;
  settled_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface CryptoUnmatchedTransfersTable {
  id: Generated<number>;
  store_id: number;
  method: string;
  address: string;
  txid: string;
  amount_units: Units;
  first_seen_at: Generated<Date>;
}

export interface CryptoPaymentTxsTable {
  invoice_id: number;
  txid: string;
  amount_units: Units;
  confirmations: number;
  block_height: number | null;
  first_seen_at: Date;
  /** No longer reported by the chain (a reorg or an evicted mempool transaction). */
  dropped: Generated<boolean>;
  updated_at: Generated<Date>;
}
