import { sql } from 'kysely';
import type { Db } from '../db/schema';
import { recordEvent } from '../events/record';
import type { SecretBox } from '../security/secret-box';
import { BlockedDestinationError, guardedFetch, withCancellation } from './network-guard';
import { signWebhook } from './signature';
import { recordWebhookAttempt } from '../observability/metrics';

export const WEBHOOK_TIMEOUT_MS = 10_000;
export const PAUSE_AFTER_FAILURES = 10;

export class PermanentWebhookError extends Error {}
export class TransientWebhookError extends Error {}

/**
 * POSTs an event's envelope to a store's URL with both signatures (ours and SellApp's); endpoints
 * of both modes reach only public addresses (checked on the connection itself) unless allowed.
 */
export function postSignedEvent(
  url: string,
  event: { type: string; eventId: string; body: string; secret: string; allowPrivate: boolean; signal: AbortSignal },
): Promise<Response> {
  const signatures = signWebhook(event.secret, event.body, Math.floor(Date.now() / 1000));
  return guardedFetch(
    url,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Sellflow-Webhooks/1.0',
        'x-sell-event': event.type,
        'x-sell-event-id': event.eventId,
        'x-sell-signature': signatures.sell,
        signature: signatures.sellapp,
      },
      body: event.body,
      signal: event.signal,
    },
    { allowPrivate: event.allowPrivate },
  );
}

/**
 * One attempt to deliver one event to one endpoint: the Sell envelope, both signatures,
 * 10 s timeout. 2xx: done. 4xx: permanent. 5xx or no answer: transient (retried).
 * Every attempt's outcome is written to the delivery row.
 */
export async function attemptWebhook(
  deps: { db: Db; secrets: SecretBox; allowPrivateNetworks: boolean; cancelled?: AbortSignal },
  deliveryId: number,
): Promise<'succeeded' | 'skipped'> {
  const row = await deps.db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
    .innerJoin('events as ev', 'ev.id', 'd.event_id')
    .select([
      'd.id',
      'd.status',
      'e.url',
      'e.secret_sealed',
      'e.status as endpoint_status',
      'e.deleted_at',
      'ev.id as event_id',
      'ev.type',
      'ev.livemode',
      'ev.data',
      'ev.created_at',
    ])
    .where('d.id', '=', deliveryId)
    .executeTakeFirstOrThrow();
  if (row.status === 'succeeded' || row.deleted_at) return 'skipped';
  if (row.endpoint_status === 'paused') throw new PermanentWebhookError('The endpoint is paused');
  const body = JSON.stringify({
    id: row.event_id,
    type: row.type,
    created: Math.floor(row.created_at.getTime() / 1000),
    livemode: row.livemode,
    data: row.data,
  });
  const started = Date.now();
  let status: number | null = null;
  let error: string | null = null;
  let blocked = false;
  try {
    const response = await postSignedEvent(row.url, {
      type: row.type,
      eventId: row.event_id,
      body,
      secret: deps.secrets.open(row.secret_sealed),
      allowPrivate: deps.allowPrivateNetworks,
      signal: withCancellation(AbortSignal.timeout(WEBHOOK_TIMEOUT_MS), deps.cancelled),
    });
    status = response.status;
    await response.arrayBuffer().catch(() => undefined);
  } catch (cause) {
    blocked = cause instanceof BlockedDestinationError;
    error =
      cause instanceof Error
        ? cause.name === 'TimeoutError'
          ? `no answer within ${WEBHOOK_TIMEOUT_MS / 1000} s`
          : cause.message
        : String(cause);
  }
  recordWebhookAttempt(status, blocked, (Date.now() - started) / 1000);
  const ok = status !== null && status >= 200 && status < 300;
  await deps.db
    .updateTable('webhook_deliveries')
    .set({
      attempts: sql`attempts + 1`,
      response_code: status,
      duration_ms: Date.now() - started,
      error: ok ? null : (error ?? `HTTP ${status}`),
      last_attempt_at: new Date(),
      ...(ok ? { status: 'succeeded' as const } : {}),
    })
    .where('id', '=', deliveryId)
    .execute();
  if (ok) return 'succeeded';
  if (blocked) throw new PermanentWebhookError(error!);
  if (status !== null && status >= 400 && status < 500) throw new PermanentWebhookError(`The endpoint answered ${status}`);
  throw new TransientWebhookError(error ?? `The endpoint answered ${status}`);
}

/**
 * Settles a delivery: success resets the endpoint's failure count; a final failure adds
 * one, and the tenth in a row pauses the endpoint (a notification event is recorded).
 */
export async function settleWebhook(db: Db, deliveryId: number, succeeded: boolean): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const delivery = await trx
      .selectFrom('webhook_deliveries')
      .select(['endpoint_id'])
      .where('id', '=', deliveryId)
      .executeTakeFirstOrThrow();
    if (succeeded) {
      await trx.updateTable('webhook_endpoints').set({ consecutive_failures: 0 }).where('id', '=', delivery.endpoint_id).execute();
      return;
    }
    await trx
      .updateTable('webhook_deliveries')
      .set({ status: 'failed' })
      .where('id', '=', deliveryId)
      .where('status', '!=', 'succeeded')
      .execute();
    const endpoint = await trx
      .updateTable('webhook_endpoints')
      .set({ consecutive_failures: sql`consecutive_failures + 1`, updated_at: new Date() })
      .where('id', '=', delivery.endpoint_id)
      .returning(['consecutive_failures', 'status', 'store_id', 'livemode', 'url'])
      .executeTakeFirstOrThrow();
    if (endpoint.status === 'active' && endpoint.consecutive_failures >= PAUSE_AFTER_FAILURES) {
      await trx
        .updateTable('webhook_endpoints')
        .set({ status: 'paused', paused_at: new Date() })
        .where('id', '=', delivery.endpoint_id)
        .execute();
      // The store's notification channels hear about it.
      await recordEvent(trx, {
        storeId: endpoint.store_id,
        livemode: endpoint.livemode,
        type: 'webhook_endpoint.paused',
        data: { id: delivery.endpoint_id, url: endpoint.url, consecutive_failures: endpoint.consecutive_failures },
      });
    }
  });
}
