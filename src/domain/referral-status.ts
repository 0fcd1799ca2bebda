/**
 * A referral's review states. The seller may accept, review or reject while the status
 * allows it; a rejected referral is final and can never become accepted.
 */
export const REFERRAL_STATUSES = ['PENDING', 'IN_REVIEW', 'ACCEPTED', 'REJECTED'] as const;
export type ReferralStatus = (typeof REFERRAL_STATUSES)[number];

const MOVES: Record<ReferralStatus, readonly ReferralStatus[]> = {
  PENDING: ['IN_REVIEW', 'ACCEPTED', 'REJECTED'],
  IN_REVIEW: ['ACCEPTED', 'REJECTED'],
  ACCEPTED: ['IN_REVIEW', 'REJECTED'],
  REJECTED: [],
};

export function canMoveReferral(from: ReferralStatus, to: ReferralStatus): boolean {
  return MOVES[from].includes(to);
}
