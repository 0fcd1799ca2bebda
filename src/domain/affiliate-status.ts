/**
 * An affiliate's standing in a store's program. INVITED: the seller sent an application
 * link; PENDING: applied, awaiting review; ACTIVE: may earn; REJECTED: may not apply again
 * (the seller can still enable them); DISABLED: an active affiliate switched off.
 */
export const AFFILIATE_STATUSES = ['INVITED', 'PENDING', 'ACTIVE', 'REJECTED', 'DISABLED'] as const;
export type AffiliateStatus = (typeof AFFILIATE_STATUSES)[number];

export type AffiliateAction = 'approve' | 'reject' | 'disable' | 'enable';

const MOVES: Record<AffiliateAction, { from: readonly AffiliateStatus[]; to: AffiliateStatus }> = {
  approve: { from: ['PENDING'], to: 'ACTIVE' },
  reject: { from: ['PENDING'], to: 'REJECTED' },
  disable: { from: ['ACTIVE'], to: 'DISABLED' },
  enable: { from: ['DISABLED', 'REJECTED'], to: 'ACTIVE' },
};

/** The status an action leads to, or null when the current status does not allow it. */
export function affiliateStatusAfter(current: AffiliateStatus, action: AffiliateAction): AffiliateStatus | null {
  const move = MOVES[action];
  return move.from.includes(current) ? move.to : null;
}
