import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { workflowIds } from '../temporal/workflow-ids';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { signalWithStartWorkflow, startWorkflow } from '../temporal/workflow-client';
import {
  type CommunityGrantInput,
  customerActedSignal,
  grantRetryRequestedSignal,
  grantRevokeRequestedSignal,
} from '../temporal/contracts/community-grant';

/** A grant whose workflow already ended (revoked) has nothing left to hear. */
async function ignoreEnded(signalling: Promise<unknown>): Promise<boolean> {
  try {
    await signalling;
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

/** The API's, the relay's and the Telegram poller's side of the grant workflows. */
export class CommunityGrantWorkflows {
  private readonly checks: { checkMs: number; checkCeilingMs: number };

  /** Callers hand in the whole community config: only the pacing goes on, never its bot tokens into workflow history. */
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    pacing: { checkMs: number; checkCeilingMs: number },
  ) {
    this.checks = { checkMs: pacing.checkMs, checkCeilingMs: pacing.checkCeilingMs };
  }

  /**
   * Through signal-with-start: a grant planned but whose workflow the order has not started yet
   * (or never will, after a crash) still ends. The order's own start then finds it running.
   */
  async revoke(grantId: number): Promise<void> {
    const args: [CommunityGrantInput] = [{ grantId, ...this.checks }];
    await signalWithStartWorkflow(this.client, 'communityGrant', {
      taskQueue: this.taskQueue,
      workflowId: workflowIds.communityGrant(grantId),
      args,
      signal: grantRevokeRequestedSignal,
      signalArgs: [],
    });
  }

  /** Starts a grant planned outside its order's workflow (access given back); a second start is refused, and that is fine. */
  async start(grantId: number): Promise<void> {
    const args: [CommunityGrantInput] = [{ grantId, ...this.checks }];
    try {
      await startWorkflow(this.client, 'communityGrant', {
        taskQueue: this.taskQueue,
        workflowId: workflowIds.communityGrant(grantId),
        args,
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  }

  /** false when the grant's workflow has ended (a revoked grant is not retried). */
  async retry(grantId: number): Promise<boolean> {
    return ignoreEnded(this.client.workflow.getHandle(workflowIds.communityGrant(grantId)).signal(grantRetryRequestedSignal));
  }

  async customerActed(grantIds: number[]): Promise<void> {
    for (const grantId of grantIds)
      await ignoreEnded(this.client.workflow.getHandle(workflowIds.communityGrant(grantId)).signal(customerActedSignal));
  }
}
