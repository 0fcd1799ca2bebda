/**
 * Postgres refusing a transaction because another one got there at the same moment: a
 * serialization failure, a deadlock victim, or a unique row a concurrent transaction inserted
 * first. Run again, the transaction sees the other's work and decides afresh.
 */
const TRANSIENT_CODES = new Set(['40001', '40P01', '23505']);

export function isTransientConflict(error: unknown): boolean {
  return typeof error === 'object' && error !== null && TRANSIENT_CODES.has(String((error as { code?: unknown }).code));
}

/** Runs `attempt` (a whole transaction) again when it lost such a race, up to `attempts` times in all. */
export async function retryTransientConflicts<T>(attempt: () => Promise<T>, attempts = 3): Promise<T> {
  for (let tried = 1; ; tried += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!isTransientConflict(error) || tried >= attempts) throw error;
      // A short, growing pause: the winner commits meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 20 * tried));
    }
  }
}
