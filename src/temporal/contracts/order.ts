import { defineQuery, defineSignal } from '@temporalio/workflow';

/** The order workflow's messages, shared by the API and the workflow. */
export type StepKind = 'serials' | 'license_keys' | 'dynamic' | 'downloads' | 'manual';

export interface OrderInput {
  invoiceId: number;
  storeId: number;
  /** ISO time after which an unpaid invoice is voided. */
  expiresAt: string;
}

export interface OrderOutcome {
  invoiceId: number;
  outcome: 'completed' | 'voided' | 'expired';
}

export type OrderWorkflow = (input: OrderInput) => Promise<OrderOutcome>;

export interface OrderState {
  phase: 'awaiting_payment' | 'delivering' | 'needs_attention' | 'completed' | 'voided' | 'expired';
  steps: { id: number; kind: StepKind; status: string; reason: string | null }[];
}

export const paymentReceivedSignal = defineSignal<[{ source: string }]>('paymentReceived');
export const voidRequestedSignal = defineSignal<[]>('voidRequested');
/** Ops: re-run failed steps (all, or only the kinds named). */
export const retryRequestedSignal = defineSignal<[{ kinds?: StepKind[] }]>('retryRequested');
/** Ops: give up on failed steps (all, or only the kinds named) and finish the order. */
export const skipRequestedSignal = defineSignal<[{ kinds?: StepKind[] }]>('skipRequested');
export const orderStateQuery = defineQuery<OrderState>('orderState');
