export interface RefundInput {
  refundId: number;
}

/**
 * succeeded: the gateway refunded; manual: the seller pays it out by hand; failed: nothing went
 * back; pending: Stripe is still making it (its refund.updated event settles it, consequences included).
 */
export type RefundOutcome = 'succeeded' | 'manual' | 'failed' | 'pending';

export type RefundWorkflow = (input: RefundInput) => Promise<RefundOutcome>;
