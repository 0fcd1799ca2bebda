import type { ColumnType, Generated } from 'kysely';

/** pending → succeeded (the gateway refunded) / manual (the seller pays it out by hand) / failed. */
export type RefundStatus = 'pending' | 'succeeded' | 'manual' | 'failed';

/** A refund asked for through the API, or found on the gateway (a Stripe dashboard refund). */
export interface RefundsTable {
  id: Generated<number>;
  store_id: number;
  livemode: boolean;
  invoice_id: number;
  /** Who asked: 'api', or 'stripe' for one made in the Stripe dashboard. */
  source: string;
  /** 'stripe', 'paypal', or 'manual' for crypto and manual methods. */
  provider: string;
  manual: Generated<boolean>;
  amount_cents: number;
  currency: string;
  reason: string | null;
  /** The invoice lines refunded whole (a refund by line item); empty for one by amount. */
  line_ids: ColumnType<number[], string | undefined, string>;
  status: ColumnType<RefundStatus, RefundStatus | undefined, RefundStatus>;
  provider_payment_id: string | null;
  provider_refund_id: string | null;
  failure_reason: string | null;
  /** Why the gateway is still making it (PayPal's status_details.reason, e.g. ECHECK); null once settled. */
  pending_reason: string | null;
  request_key: string | null;
  /** When the refund's consequences (revokes, clawback, event) ran: once. */
  consequences_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** The spec's dispute statuses. */
export type DisputeStatus = 'open' | 'under_review' | 'won' | 'lost' | 'closed';

export interface DisputesTable {
  id: string;
  store_id: number;
  livemode: boolean;
  invoice_id: number;
  provider: string;
  provider_dispute_id: string;
  amount_cents: number;
  currency: string;
  status: DisputeStatus;
  /** The gateway's own status word (Stripe: needs_response, won, lost…). */
  provider_status: string;
  reason: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  closed_at: Date | null;
}
