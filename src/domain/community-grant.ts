/**
 * A community grant's states, as SellApp's "Community Access" panel names them, plus the
 * end of a grant's life. Pure: the workflow and the API share it.
 */
export const GRANT_STATUSES = ['processing', 'awaiting_customer', 'granted', 'needs_manual_action', 'revoked'] as const;
export type GrantStatus = (typeof GRANT_STATUSES)[number];

export interface GrantHistoryEntry {
  at: string;
  status: GrantStatus;
  note: string | null;
}

/** Why a grant ends early. */
export const REVOKE_REASONS = ['subscription_ended', 'paused', 'refunded', 'disputed', 'ops'] as const;
export type RevokeReason = (typeof REVOKE_REASONS)[number];

/** Revocations that are given back: a paused subscription resumed, a dispute won. */
export type RestorableReason = Extract<RevokeReason, 'paused' | 'disputed'>;

/**
 * Only access tied to the subscription's paid period goes when it ends, and only access the
 * variant suspends while paused goes on a pause; refunds and disputes take every grant.
 */
export function revokesGrant(reason: RevokeReason, grant: { remove_on_expiry: boolean; remove_on_pause: boolean }): boolean {
  if (reason === 'subscription_ended') return grant.remove_on_expiry;
  if (reason === 'paused') return grant.remove_on_pause;
  return true;
}

/**
 * When a waiting grant checks the platform again: soon at first (customers usually join within
 * minutes), backing off to a ceiling so a week's wait stays a few hundred workflow events.
 */
export function nextCheckDelayMs(attempt: number, firstMs: number, ceilingMs: number): number {
  return Math.min(ceilingMs, firstMs * 2 ** Math.min(attempt, 20));
}
