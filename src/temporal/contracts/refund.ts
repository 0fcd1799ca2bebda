export interface RefundInput {
  refundId: number;
}

/** succeeded: the gateway refunded; manual: the seller pays it out by hand; failed: nothing went back. */
export type RefundOutcome = 'succeeded' | 'manual' | 'failed';

export type RefundWorkflow = (input: RefundInput) => Promise<RefundOutcome>;
