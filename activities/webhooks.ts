import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { sql } from 'kysely';
import type { Db } from '../src/db/schema';
import type { SecretBox } from '../src/security/secret-box';
import { workflowIds } from '../src/temporal/workflow-ids';
import { attemptWebhook, PermanentWebhookError, settleWebhook } from '../src/webhooks/delivery';

export const PERMANENT_WEBHOOK_FAILURE = 'PermanentWebhookFailure';

/** Outbound webhooks: the outbox relay and the delivery attempts. */
export function createWebhookActivities(deps: { db: Db; secrets: SecretBox; allowPrivateNetworks: boolean; client?: Client; taskQueue?: string }) {
  return {
    /**
     * Hands undelivered events to `webhookDelivery` workflows, one per event and endpoint.
     * Rows are locked (skip locked) so two relays never split one event; a crash before
     * the commit leaves the events to the next run, and the workflow id stops a second start.
     */
    async dispatchEvents(input: { limit: number }): Promise<number> {
      const { client, taskQueue } = deps;
      if (!client || !taskQueue) throw new Error('dispatchEvents needs a Temporal client');
      return deps.db.transaction().execute(async (trx) => {
        const events = await trx
          .selectFrom('events')
          .select(['id', 'store_id', 'livemode', 'type'])
          .where('dispatched_at', 'is', null)
          .orderBy('created_at')
          .limit(input.limit)
          .forUpdate()
          .skipLocked()
          .execute();
        for (const event of events) {
          const endpoints = await trx
            .selectFrom('webhook_endpoints')
            .select('id')
            .where('store_id', '=', event.store_id)
            .where('livemode', '=', event.livemode)
            .where('status', '=', 'active')
            .where('deleted_at', 'is', null)
            .where(sql<boolean>`${event.type} = any(events)`)
            .execute();
          for (const endpoint of endpoints) {
            const delivery = await trx
              .insertInto('webhook_deliveries')
              .values({ endpoint_id: endpoint.id, event_id: event.id, response_code: null, duration_ms: null, error: null, last_attempt_at: null })
              .onConflict((oc) => oc.constraint('webhook_deliveries_endpoint_event_uq').doUpdateSet({ endpoint_id: endpoint.id }))
              .returning('id')
              .executeTakeFirstOrThrow();
            try {
              await client.workflow.start('webhookDelivery', { taskQueue, workflowId: workflowIds.webhookDelivery(event.id, endpoint.id), args: [{ deliveryId: delivery.id }] });
            } catch (error) {
              if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
            }
          }
        }
        if (events.length > 0) await trx.updateTable('events').set({ dispatched_at: new Date() }).where('id', 'in', events.map((e) => e.id)).execute();
        return events.length;
      });
    },

    async attemptWebhook(input: { deliveryId: number }): Promise<void> {
      try {
        await attemptWebhook(deps, input.deliveryId);
      } catch (error) {
        if (error instanceof PermanentWebhookError) throw ApplicationFailure.nonRetryable(error.message, PERMANENT_WEBHOOK_FAILURE);
        throw error;
      }
    },

    async settleWebhook(input: { deliveryId: number; succeeded: boolean }): Promise<void> {
      await settleWebhook(deps.db, input.deliveryId, input.succeeded);
    },
  };
}

export type WebhookActivities = ReturnType<typeof createWebhookActivities>;
