import { isTransientConflict, retryTransientConflicts } from '../../db/transient-conflict';
import { ApiError } from '../errors';

/**
 * Applies a gateway's verified event. Two deliveries of one event, or two events about one order,
 * at once: the loser runs again and sees the winner's work (a duplicate, or the row it wanted to
 * make); still losing, a 409 concurrent_event, and the gateway delivers it again. Never a 500.
 */
export function applyGatewayEvent<T>(gateway: string, apply: () => Promise<T>): Promise<T> {
  return retryTransientConflicts(apply).catch((error: unknown) => {
    if (!isTransientConflict(error)) throw error;
    throw new ApiError('conflict', 'concurrent_event', `Another ${gateway} event about the same order is being applied; send it again`, {
      extra: { retry_after: 1 },
    });
  });
}
