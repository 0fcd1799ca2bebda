import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

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
  /** refunded / reversed: the sale was undone (a refund, a lost dispute) before its delivery finished. */
  outcome: 'completed' | 'voided' | 'expired' | 'refunded' | 'reversed';
}

export type OrderWorkflow = (input: OrderInput) => Promise<OrderOutcome>;

export interface OrderState {
  phase: 'awaiting_payment' | 'delivering' | 'needs_attention' | 'disputed' | 'completed' | 'voided' | 'expired' | 'refunded' | 'reversed';
  steps: { id: number; kind: StepKind; status: string; reason: string | null }[];
}

export const paymentReceivedSignal = defineSignal<[{ source: string }]>('paymentReceived');
export const voidRequestedSignal = defineSignal<[]>('voidRequested');
/**
 * The paid order's sale changed after commit (the engine outbox tells it): refunded whole, a
 * dispute opened, lost (REVERSED) or won (COMPLETED). `status` is the invoice's new status; the
 * workflow reads the invoice again before it acts, so news told out of order changes nothing.
 */
export const saleChangedSignal = defineSignal<[{ status: string }]>('saleChanged');
/** Ops (before the fulfillment Updates): re-run failed steps (all, or only the kinds named). Kept for histories that carry it. */
export const retryRequestedSignal = defineSignal<[{ kinds?: StepKind[] }]>('retryRequested');
/** Ops (before the fulfillment Updates): give up on failed steps and finish the order. Kept for histories that carry it. */
export const skipRequestedSignal = defineSignal<[{ kinds?: StepKind[] }]>('skipRequested');
export const orderStateQuery = defineQuery<OrderState>('orderState');

/**
 * Why the order refused a fulfillment action. The API answers 422 for a request naming what the
 * order does not have (`no_such_step`, `no_such_line`), 409 for the rest.
 */
export type FulfillmentRefusal =
  | 'not_paid'
  | 'delivery_running'
  | 'nothing_failed'
  | 'no_such_step'
  | 'no_such_line'
  | 'already_delivered'
  | 'voided'
  /** The order's money went back (a refund) or a dispute took it (lost: reversed) or holds it (open: disputed). */
  | 'refunded'
  | 'reversed'
  | 'disputed'
  | 'needs_manual_action';

/**
 * The ApplicationFailure type of a delivery step that met an open dispute (committed before the
 * workflow heard of it): nothing was handed over, and the step waits, pending, for the dispute.
 */
export const DELIVERY_HELD_BY_DISPUTE = 'DeliveryHeldByDispute';

/** The ApplicationFailure type a validator rejects an Update with; its first detail is the FulfillmentRefusal. */
export const FULFILLMENT_REFUSED = 'FulfillmentRefused';

/** Which failed steps an action is about: all of them, the kinds named, or the steps named by id. */
export interface StepSelection {
  kinds?: StepKind[];
  stepIds?: number[];
}

/** The workflow accepted: this many failed steps go back to pending (retry) or are given up (skip). */
export interface StepActionAccepted {
  steps: number;
}

export interface FulfillmentNoticeRequest {
  /** Send the buyer's notice to this address instead of the invoice's. */
  email?: string;
  /** Only these lines' variants (all lines when absent). */
  productVariantIds?: number[];
}

export interface FulfillmentNoticeSent {
  notificationsSent: number;
}

/** Ops and the API: re-run the failed steps (validated: the order must be waiting on one). */
export const retryFulfillmentUpdate = defineUpdate<StepActionAccepted, [StepSelection]>('retryFulfillment');
/** Ops: give up on the failed steps and finish the order. */
export const skipFulfillmentUpdate = defineUpdate<StepActionAccepted, [StepSelection]>('skipFulfillment');
/** The API: re-run one failed dynamic (seller webhook) step. */
export const retryDynamicDeliveryUpdate = defineUpdate<StepActionAccepted, [{ stepId: number }]>('retryDynamicDelivery');
/** Re-send the order's notifications and delivery notice (one activity: sendFulfillmentNotices). */
export const sendFulfillmentNoticesUpdate = defineUpdate<FulfillmentNoticeSent, [FulfillmentNoticeRequest]>('sendFulfillmentNotices');
