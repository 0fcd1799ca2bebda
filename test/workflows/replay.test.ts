import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';

/**
 * Replays every recorded history in ./histories against today's workflow code. A change
 * that would break workflows already running in production fails here: use `patched`.
 * Record new histories with `npm run record-histories`.
 */
const dir = path.join(__dirname, 'histories');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('replay of recorded histories', () => {
  it('has histories to replay', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s replays without nondeterminism', async (file) => {
    const history = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    const workflowId = path.basename(file, '.json').split('--').pop()!;
    await Worker.runReplayHistory({ workflowBundle: { codePath: process.env.SELLFLOW_TEST_WORKFLOW_BUNDLE! } }, history, workflowId);
  });
});
