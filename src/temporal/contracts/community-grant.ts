import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { GrantStatus } from '../../domain/community-grant';

export interface CommunityGrantInput {
  grantId: number;
  /** First look again at a waiting grant after this; backs off to the ceiling. */
  checkMs: number;
  checkCeilingMs: number;
  /** Looks already made while waiting, carried across continueAsNew. */
  checks?: number;
  /** Ops asked for a retry just before continueAsNew: the next attempt gives the customer a new window. */
  freshWindow?: boolean;
}

export interface CommunityGrantOutcome {
  grantId: number;
  outcome: 'revoked';
}

export type CommunityGrantWorkflow = (input: CommunityGrantInput) => Promise<CommunityGrantOutcome>;

export interface CommunityGrantState {
  status: GrantStatus | 'revoking';
  reason: string | null;
}

/** Ops: try again (after fixing a permission, or to give the customer a fresh window). */
export const grantRetryRequestedSignal = defineSignal<[]>('grantRetryRequested');
/** The grant's revocation was recorded (subscription end, refund, dispute, ops): act on it. */
export const grantRevokeRequestedSignal = defineSignal<[]>('grantRevokeRequested');
/** The customer did something (linked an account, asked to join): look now rather than at the next check. */
export const customerActedSignal = defineSignal<[]>('customerActed');
export const grantStateQuery = defineQuery<CommunityGrantState>('grantState');
