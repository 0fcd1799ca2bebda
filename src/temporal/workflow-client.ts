import type { Client, WorkflowSignalWithStartOptions, WorkflowStartOptions } from '@temporalio/client';
import type { WithWorkflowArgs } from '@temporalio/common';
import type { WorkflowName, WorkflowSignatures } from './contracts/workflows';

/**
 * Starts, runs or signal-with-starts a workflow by its contract name: the name must be one the
 * worker registers and the arguments must be that workflow's input, both checked at compile time.
 */
export function startWorkflow<N extends WorkflowName>(client: Client, name: N, options: WorkflowStartOptions<WorkflowSignatures[N]>) {
  return client.workflow.start<WorkflowSignatures[N]>(name, options);
}

export function executeWorkflow<N extends WorkflowName>(client: Client, name: N, options: WorkflowStartOptions<WorkflowSignatures[N]>) {
  return client.workflow.execute<WorkflowSignatures[N]>(name, options);
}

export function signalWithStartWorkflow<N extends WorkflowName, SignalArgs extends unknown[]>(
  client: Client,
  name: N,
  options: WithWorkflowArgs<WorkflowSignatures[N], WorkflowSignalWithStartOptions<SignalArgs>>,
) {
  return client.workflow.signalWithStart<WorkflowSignatures[N], SignalArgs>(name, options);
}
