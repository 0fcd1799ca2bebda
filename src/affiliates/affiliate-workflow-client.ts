import { type Client, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import type { Db } from '../db/schema';
import type { PayoutCycleInput } from '../temporal/contracts/affiliates';
import { workflowIds } from '../temporal/workflow-ids';
import { startWorkflow } from '../temporal/workflow-client';
import { inviteAffiliate } from './affiliates';
import { applicationUrl } from './invite-mail';

/** A payout cycle asked for now (manual or backfill); the schedule starts the regular ones. */
export function startPayoutCycle(client: Client, taskQueue: string, input: PayoutCycleInput & { cycleDate: string }) {
  return startWorkflow(client, 'affiliatePayoutCycle', {
    taskQueue,
    workflowId: workflowIds.affiliatePayoutCycle(input.storeId, input.cycleDate),
    // The cycle is idempotent in the database: a request while one runs waits for that run,
    // a later one runs again and just reports what the first created.
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    args: [input],
  });
}

/** The invitation mail, sent durably once per invited affiliate. */
export async function startAffiliateInvite(client: Client, taskQueue: string, affiliateId: number, applicationUrl: string): Promise<void> {
  await startWorkflow(client, 'affiliateInvite', {
    taskQueue,
    workflowId: `affiliate-invite-${affiliateId}`,
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    args: [{ affiliateId, applicationUrl }],
  });
}

export interface InviteContext {
  db: Db;
  client: Client;
  taskQueue: string;
  storefrontBase: string;
}

/** Invites someone by e-mail: the INVITED affiliate row, then its invitation mail, sent durably. */
export async function inviteByEmail(ctx: InviteContext, store: { id: number; slug: string }, email: string) {
  const { row, token } = await ctx.db.transaction().execute((trx) => inviteAffiliate(trx, store.id, email));
  const url = applicationUrl(ctx.storefrontBase, store.slug, row.email, token);
  await startAffiliateInvite(ctx.client, ctx.taskQueue, row.id, url);
  return { row, applicationUrl: url };
}
