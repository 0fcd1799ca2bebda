export interface PaypalCaptureInput {
  invoiceId: number;
  /** The PayPal order the buyer approved (one our checkout created for the invoice). */
  orderId: string;
}

/**
 * What the capture did to the invoice: paid; the same capture again; pending at PayPal (the
 * order stays PENDING with the reason); denied (voided); not paid for a reason ops sees
 * (mismatch, partial); refused by PayPal for good (not approved, unknown order: nothing taken).
 */
export type PaypalCaptureOutcome = 'paid' | 'same_payment' | 'pending' | 'denied' | 'mismatch' | 'partial' | 'ignored' | 'refused';

export type PaypalCaptureWorkflow = (input: PaypalCaptureInput) => Promise<PaypalCaptureOutcome>;
