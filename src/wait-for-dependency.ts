import type { Logger } from './logger';

export interface Patience {
  /** First pause after a failed try; doubled each time up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Tries `reach` until it succeeds, backing off, with one clear log line per failed try: a
 * process started before its database or Temporal waits for them instead of exiting, so
 * no outside supervisor is needed to bring it back.
 */
export async function waitForDependency<T>(name: string, reach: () => Promise<T>, logger: Logger, patience: Patience = {}): Promise<T> {
  const maxDelayMs = patience.maxDelayMs ?? 5_000;
  let delayMs = patience.initialDelayMs ?? 250;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const reached = await reach();
      if (attempt > 1) logger.info({ dependency: name, attempts: attempt }, `${name} is reachable`);
      return reached;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      logger.warn({ dependency: name, attempt, retryInMs: delayMs, reason }, `waiting for ${name}: ${reason}`);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, maxDelayMs);
    }
  }
}
