/** A reconciliation run: every store's (daily schedule) or one store's (on demand). */
export interface SubscriptionReconciliationInput {
  trigger: string;
  storeId?: number;
}

export interface SubscriptionReconciliationOutcome {
  reconciliationId: number;
  checked: number;
  repaired: number;
}

export type SubscriptionReconciliationWorkflow = (input: SubscriptionReconciliationInput) => Promise<SubscriptionReconciliationOutcome>;
