export interface RefundInput {
  refundId: number;
}

/**
 * succeeded: the gateway refunded; manual: the seller pays it out by hand; failed: nothing went
 * back; pending: the gateway is still making it (Stripe's refund.updated event, or PayPal's
 * webhook or the workflow's checks, settle it, consequences included).
 */
export type RefundOutcome = 'succeeded' | 'manual' | 'failed' | 'pending';

/** What a check of a pending PayPal refund found, and when to ask again (null: no more). */
export interface PendingRefundCheck {
  outcome: RefundOutcome;
  nextCheckInMs: number | null;
}

export type RefundWorkflow = (input: RefundInput) => Promise<RefundOutcome>;
