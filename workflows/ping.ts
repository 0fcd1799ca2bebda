import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { PingActivities } from '../activities/ping';
import type { PingResult } from '../src/temporal/contracts/ping';

const { recordPing } = proxyActivities<PingActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumAttempts: 5 },
});

/** The smallest end-to-end proof: API → Temporal → worker → database and back. */
export async function ping(message: string): Promise<PingResult> {
  const record = await recordPing({ message, workflowId: workflowInfo().workflowId });
  return { pong: true, ...record };
}
