export interface PaypalCaptureInput {
  invoiceId: number;
  /** The PayPal order the buyer approved (one our checkout created for the invoice). */
  orderId: string;
}

/**
 * What the capture did to the invoice: paid; the same capture again; pending at PayPal (the
 * order stays PENDING with the reason); denied (voided); not paid for a reason ops sees
 * (mismatch, partial); nothing (the invoice no longer waits). A capture PayPal refused fails the workflow.
 */
export type PaypalCaptureOutcome = 'paid' | 'same_payment' | 'pending' | 'denied' | 'mismatch' | 'partial' | 'ignored';

/** Why a capture failed for good: PayPal's issue code when it refused (INSTRUMENT_DECLINED …), and the message. */
export interface PaypalCaptureFailure {
  issue: string | null;
  reason: string;
}

export type PaypalCaptureWorkflow = (input: PaypalCaptureInput) => Promise<PaypalCaptureOutcome>;
