export interface CheckoutRemindersInput {
  invoiceId: number;
}

/** finished: every reminder went (or was skipped); settled: the invoice was paid or voided; stopped: the seller turned reminders off. */
export interface CheckoutRemindersOutcome {
  invoiceId: number;
  sent: number;
  outcome: 'finished' | 'settled' | 'stopped';
}

export type CheckoutRemindersWorkflow = (input: CheckoutRemindersInput) => Promise<CheckoutRemindersOutcome>;
