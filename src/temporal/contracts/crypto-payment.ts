import { defineSignal } from '@temporalio/workflow';

/** The store's crypto checkout settings as they were when the quote was given. */
export interface CryptoAcceptance {
  /** Confirmations a payment needs before the order moves on. */
  requiredConfirmations: number;
  /** Shortfall still accepted as paid, in basis points of the quote (300 = 3 %). */
  underpaidToleranceBp: number;
}

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
  /**
   * Read at checkout and fixed for the run (and the runs it continues as): the settings a
   * seller changes later never change this payment. Absent in runs started before they
   * existed: the payment's own row decides.
   */
  acceptance?: CryptoAcceptance;
}

export type CryptoPaymentOutcome = 'paid' | 'expired' | 'late_payment';

export type CryptoPaymentWorkflow = (input: CryptoPaymentInput) => Promise<CryptoPaymentOutcome>;

/** A chain notification (a node's webhook, or ops) that new transactions may be there: look now. */
export const chainActivitySignal = defineSignal<[]>('chainActivity');
