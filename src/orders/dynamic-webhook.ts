import { createHmac } from 'node:crypto';
import { BlockedDestinationError, guardedFetch, withCancellation } from '../webhooks/network-guard';

/** The seller's answer to a dynamic delivery: text for the customer, maybe new stock. */
export interface DynamicReply {
  message: string;
  stock: number | null;
}

export class PermanentDeliveryError extends Error {}
export class TransientDeliveryError extends Error {}

export const DYNAMIC_TIMEOUT_MS = 10_000;

/**
 * POSTs the order to the seller's endpoint, signed like SellApp (`signature`: hex
 * HMAC-SHA256 of the raw body with the store's webhook secret) and carrying an
 * Idempotency-Key so a retried call can be recognised. 2xx: plain text or
 * {"message", "stock"}. 4xx or a non-public address (unless `allowPrivate`): permanent.
 * 5xx, timeout, network: transient.
 */
export async function callDynamicWebhook(input: {
  url: string;
  secret: string;
  idempotencyKey: string;
  payload: unknown;
  /** WEBHOOKS_ALLOW_PRIVATE_NETWORKS, for test and live endpoints alike. */
  allowPrivate: boolean;
  cancelled?: AbortSignal;
}): Promise<DynamicReply> {
  const body = JSON.stringify(input.payload);
  let response: Response;
  try {
    response = await guardedFetch(
      input.url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Sellflow-Delivery/1.0',
          signature: createHmac('sha256', input.secret).update(body).digest('hex'),
          'idempotency-key': input.idempotencyKey,
        },
        body,
        signal: withCancellation(AbortSignal.timeout(DYNAMIC_TIMEOUT_MS), input.cancelled),
      },
      { allowPrivate: input.allowPrivate },
    );
  } catch (error) {
    if (error instanceof BlockedDestinationError) throw new PermanentDeliveryError(error.message);
    throw new TransientDeliveryError(`The seller's endpoint did not answer: ${error instanceof Error ? error.message : String(error)}`);
  }
  const text = (await response.text()).slice(0, 100_000);
  if (response.status >= 500) throw new TransientDeliveryError(`The seller's endpoint answered ${response.status}`);
  if (response.status < 200 || response.status >= 300)
    throw new PermanentDeliveryError(`The seller's endpoint answered ${response.status}: ${text.slice(0, 200)}`);
  const contentType = response.headers.get('content-type') ?? '';
  if (contentType.includes('json') || text.trim().startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as { message?: unknown; stock?: unknown };
      if (parsed && typeof parsed === 'object' && 'message' in parsed) {
        const stock = Number.isInteger(parsed.stock) && (parsed.stock as number) >= 0 ? (parsed.stock as number) : null;
        return { message: String(parsed.message), stock };
      }
    } catch {
      // Not JSON after all: the text is the deliverable.
    }
  }
  return { message: text, stock: null };
}
