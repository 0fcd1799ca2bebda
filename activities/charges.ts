import { ApplicationFailure } from '@temporalio/activity';
import { postChargeWebhook } from '../src/charges/charge-webhook';
import type { Db } from '../src/db/schema';
import { recordEvent } from '../src/events/record';
import { PermanentDeliveryError } from '../src/orders/dynamic-webhook';
import type { SecretBox } from '../src/security/secret-box';

/** A charge's status webhook: the POST, and the record when it cannot be delivered. */
export function createChargeActivities(deps: { db: Db; secrets: SecretBox; allowPrivateNetworks: boolean }) {
  return {
    async postChargeWebhook(input: { eventId: string }): Promise<'sent' | 'no_webhook'> {
      try {
        return await postChargeWebhook(deps, input.eventId);
      } catch (error) {
        if (error instanceof PermanentDeliveryError) throw ApplicationFailure.nonRetryable(error.message, 'PermanentChargeWebhookFailure');
        throw error;
      }
    },

    async chargeWebhookFailed(input: { eventId: string; reason: string }): Promise<void> {
      const event = await deps.db
        .selectFrom('events')
        .select(['store_id', 'livemode', 'data'])
        .where('id', '=', input.eventId)
        .executeTakeFirstOrThrow();
      await recordEvent(deps.db, {
        storeId: event.store_id,
        livemode: event.livemode,
        type: 'delivery.needs_attention',
        data: { id: event.data.id, reason: `charge webhook failed: ${input.reason}` },
      });
    },
  };
}

export type ChargeActivities = ReturnType<typeof createChargeActivities>;
