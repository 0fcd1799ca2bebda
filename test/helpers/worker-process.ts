import { spawnCli, waitForOutput } from './cli';
import { type Harness, testTemporalAddress } from './harness';

/**
 * A real `sellflow worker` process on the harness's database, Temporal and data directory (for
 * the tests that kill one), its output kept in `log` to explain a failure.
 */
export function spawnWorker(h: Harness, taskQueuePrefix: string, env: Record<string, string> = {}) {
  const child = spawnCli(['worker'], {
    ...h.database.env,
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_TASK_QUEUE_PREFIX: taskQueuePrefix,
    SELLFLOW_DATA_DIR: h.config.dataDir,
    ...env,
  });
  const log: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  child.stdout?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  return { child, log, up: waitForOutput(child, /worker is up/, 60_000) };
}
