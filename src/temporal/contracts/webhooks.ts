import { defineSignal } from '@temporalio/workflow';

/** The outbound delivery workflows: one per event and target, started by the outbox relay (or ops resending). */
export interface DeliveryInput {
  deliveryId: number;
  /** The relay's own first attempt failed in a way that may pass: the workflow makes only the retries. */
  afterFailedAttempt?: boolean;
}

export type WebhookDeliveryWorkflow = (input: DeliveryInput) => Promise<'succeeded' | 'failed'>;
export type NotificationDeliveryWorkflow = (input: DeliveryInput) => Promise<'succeeded' | 'failed'>;

export interface ChargeWebhookInput {
  eventId: string;
}

export type ChargeWebhookWorkflow = (input: ChargeWebhookInput) => Promise<'sent' | 'no_webhook' | 'failed'>;

/** The relay itself: one per task queue, forever. */
export type EventDispatcherWorkflow = () => Promise<void>;

/** News for a sleeping relay (a worker heard the outbox change): go round now. */
export const outboxNewsSignal = defineSignal<[]>('outboxNews');

/** One relay round: how much it handed on, and how long it may sleep (0: go round again). */
export interface RelayRoundOutcome {
  handed: number;
  sleepMs: number;
}
