import fs from 'node:fs';
import path from 'node:path';
import type { Sink } from '@temporalio/workflow';
import { type InjectedSinks, Worker } from '@temporalio/worker';
import { workflowBundle } from '../../src/temporal/workflow-bundle';

/**
 * Replays every recorded history in ./histories against today's workflow code. A change
 * that would break workflows already running in production fails here: use `patched`.
 * Record new histories with `npm run record-histories`.
 */
const dir = path.join(__dirname, 'histories');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));

function replay(file: string, codePath: string, sinks?: InjectedSinks<Record<string, Sink>>) {
  const history = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  const workflowId = path.basename(file, '.json').split('--').pop()!;
  return Worker.runReplayHistory({ workflowBundle: { codePath }, ...(sinks ? { sinks } : {}) }, history, workflowId);
}

describe('replay of recorded histories', () => {
  it('has histories to replay', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s replays without nondeterminism', (file) => replay(file, process.env.SELLFLOW_TEST_WORKFLOW_BUNDLE!));
});

// Turning tracing on (OTEL_EXPORTER_OTLP_ENDPOINT) swaps in the bundle with OpenTelemetry's
// workflow interceptors: workflows started without them must go on under them.
describe('replay under the traced bundle', () => {
  let traced: string;
  beforeAll(async () => {
    traced = (await workflowBundle(undefined, { tracing: true })).codePath;
  }, 120_000);

  // Where a traced worker's spans leave the sandbox (a replay exports none).
  const exporter = { export: { fn: () => undefined } };
  it.each(files)('%s replays without nondeterminism', (file) => replay(file, traced, { exporter }));
});
