import { proxyActivities } from '@temporalio/workflow';
import type { BaselineActivities } from '../activities/baseline';

const { noop } = proxyActivities<BaselineActivities>({ startToCloseTimeout: '10 seconds' });

/** The benchmark's yardstick: one workflow, one activity that does nothing. */
export async function baseline(): Promise<void> {
  await noop();
}
