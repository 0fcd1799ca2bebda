import type { BuyerNotice } from '../../orders/buyer-notices';

export interface BuyerNoticeInput {
  invoiceId: number;
  notice: BuyerNotice;
}

/** sent, skipped (nothing to say, no SMTP), or failed (refused or out of attempts; logged). */
export type BuyerNoticeOutcome = 'sent' | 'skipped' | 'failed';

export type BuyerNoticeWorkflow = (input: BuyerNoticeInput) => Promise<BuyerNoticeOutcome>;
