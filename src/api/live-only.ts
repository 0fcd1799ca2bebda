import { LivemodeForbiddenError } from '../catalog/errors';
import type { RequestAuth } from './middleware/authenticate';

/** Settings and money shared by both modes are changed with live keys only. */
export function requireLiveKey(auth: RequestAuth, action: string): void {
  if (!auth.livemode) throw new LivemodeForbiddenError(`Test-mode keys cannot ${action}; use a live key`);
}
