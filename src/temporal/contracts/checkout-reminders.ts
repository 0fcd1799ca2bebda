export interface CheckoutRemindersInput {
  invoiceId: number;
}

/**
 * finished: every reminder went (or was skipped); settled: the invoice was paid or voided; stopped: the seller
 * turned reminders off; paying: the buyer is paying it, or paid another checkout of the same goods.
 */
export interface CheckoutRemindersOutcome {
  invoiceId: number;
  sent: number;
  outcome: 'finished' | 'settled' | 'stopped' | 'paying';
}

export type CheckoutRemindersWorkflow = (input: CheckoutRemindersInput) => Promise<CheckoutRemindersOutcome>;
