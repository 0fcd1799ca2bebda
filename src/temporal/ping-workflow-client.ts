import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { PingResult } from './contracts/ping';
import { workflowIds } from './workflow-ids';
import { executeWorkflow } from './workflow-client';

/** Runs the ping workflow to its answer: API → Temporal → worker → database and back. */
export function ping(client: Client, taskQueue: string, message: string): Promise<PingResult> {
  return executeWorkflow(client, 'ping', {
    taskQueue,
    workflowId: workflowIds.ping(randomUUID()),
    args: [message],
    workflowExecutionTimeout: '30 seconds',
  });
}
