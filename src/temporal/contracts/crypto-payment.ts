import { defineSignal } from '@temporalio/workflow';

export interface CryptoPaymentInput {
  invoiceId: number;
  /** The order workflow to tell when the money is in (or the window closed). */
  orderWorkflowId: string;
  pollMs: number;
  pollsPerRun: number;
  /** Set after the window closed: only late money is watched for. */
  phase?: 'open' | 'late';
  /** Money paid in time when the window closed (smallest units): more later is flagged. */
  seenAtExpiry?: string;
  /** A person was already told the chain cannot be read. */
  troubleReported?: boolean;
}

export type CryptoPaymentOutcome = 'paid' | 'expired' | 'late_payment';

export type CryptoPaymentWorkflow = (input: CryptoPaymentInput) => Promise<CryptoPaymentOutcome>;

/** A chain notification (a node's webhook, or ops) that new transactions may be there: look now. */
export const chainActivitySignal = defineSignal<[]>('chainActivity');
