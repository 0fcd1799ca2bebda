import type { ColumnType, Generated } from 'kysely';

type Json<T> = ColumnType<T, string | undefined, string>;

export type Sentiment = 'POSITIVE' | 'NEUTRAL' | 'NEGATIVE';

export interface FeedbackTable {
  id: Generated<number>;
  store_id: number;
  invoice_id: number;
  listing_id: number | null;
  feedback: Sentiment;
  rating: number;
  message: string | null;
  reply: string | null;
  is_automatic: Generated<boolean>;
  metadata: Json<Record<string, unknown>>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  deleted_at: Date | null;
}

export interface TicketsTable {
  id: Generated<number>;
  store_id: number;
  title: string;
  status: Generated<'OPEN' | 'CLOSED'>;
  customer_id: string;
  customer_email: string;
  invoice_id: number | null;
  read_by: Json<unknown[]>;
  archived: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface TicketMessagesTable {
  id: Generated<number>;
  ticket_id: number;
  author: 'STORE' | 'CUSTOMER';
  sender: string | null;
  content: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
