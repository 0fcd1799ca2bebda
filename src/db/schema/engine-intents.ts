import type { ColumnType, Generated } from 'kysely';

export type EngineIntentKind =
  | 'order.start'
  | 'order.payment_received'
  | 'order.void_requested'
  /** A paid order refunded whole, disputed, or its dispute settled: its running workflow hears it (detail.status). */
  | 'order.sale_changed'
  | 'crypto.start'
  /** A PayPal order approved (the buyer's return, CHECKOUT.ORDER.APPROVED): its capture workflow starts, once. */
  | 'paypal.capture'
  | 'subscription.changed'
  | 'refund.start'
  | 'checkout_reminders.start'
  | 'checkout_reminders.stop'
  | 'buyer_notice.send'
  /** A community grant given back (subscription resumed, dispute won): its workflow starts. */
  | 'community.grant_start';

/** A start or signal the engine owes a committed change (the engine outbox). */
export interface EngineIntentsTable {
  id: Generated<number>;
  kind: EngineIntentKind;
  /** The invoice (order.*, crypto.*, checkout_reminders.*, buyer_notice.*), subscription, refund (refund.*) or community grant the intent is about. */
  subject_id: number;
  detail: ColumnType<Record<string, string>, string | undefined, string>;
  created_at: Generated<Date>;
  delivered_at: Date | null;
  attempts: Generated<number>;
  last_error: string | null;
}

/** Whether a task queue's outbox relay sleeps, and until when (see src/outbox/relay-wakeups.ts). */
export interface RelayStateTable {
  task_queue: string;
  sleeping: Generated<boolean>;
  wake_at: Date | null;
  updated_at: Generated<Date>;
}
