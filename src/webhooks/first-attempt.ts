import pLimit from 'p-limit';
import { attemptWebhook, PermanentWebhookError, settleWebhook, TransientWebhookError } from './delivery';

/** How many endpoints the relay calls at once, and how long a round keeps starting first attempts. */
export const FIRST_ATTEMPTS_AT_ONCE = 32;
export const FIRST_ATTEMPT_BUDGET_MS = 20_000;

export interface FirstAttemptOutcome {
  /** Succeeded or refused for good (4xx, a blocked address): settled, nothing more to do. */
  settled: number[];
  /** Failed in a way that may pass (5xx, no answer): a delivery workflow retries them. */
  retry: number[];
  /** Not tried within the round's budget (or the worker is stopping): a delivery workflow owns them whole. */
  untried: number[];
}

/**
 * The relay's own first attempt at each new webhook delivery. Most endpoints answer at once,
 * and a delivery settled here costs the engine nothing: only one whose first attempt failed
 * for a reason that may pass gets a durable workflow for its retries. Webhooks stay
 * at-least-once: a relay that dies mid-round leaves its events undispatched, and the next
 * round skips what already succeeded.
 */
export async function attemptFirst(
  deps: Parameters<typeof attemptWebhook>[0],
  deliveryIds: number[],
  budgetMs = FIRST_ATTEMPT_BUDGET_MS,
): Promise<FirstAttemptOutcome> {
  const outcome: FirstAttemptOutcome = { settled: [], retry: [], untried: [] };
  const limit = pLimit(FIRST_ATTEMPTS_AT_ONCE);
  const deadline = Date.now() + budgetMs;
  await Promise.all(
    deliveryIds.map((id) =>
      limit(async () => {
        if (Date.now() > deadline || deps.cancelled?.aborted) {
          outcome.untried.push(id);
          return;
        }
        try {
          if ((await attemptWebhook(deps, id)) === 'succeeded') await settleWebhook(deps.db, id, true);
          outcome.settled.push(id);
        } catch (error) {
          if (error instanceof PermanentWebhookError) {
            await settleWebhook(deps.db, id, false);
            outcome.settled.push(id);
          } else if (error instanceof TransientWebhookError) outcome.retry.push(id);
          else throw error;
        }
      }),
    ),
  );
  return outcome;
}
