import { spawnSync } from 'node:child_process';
import path from 'node:path';

// The same check CI runs before the tests (.ci/run): a committed migration never changes.
test('every committed migration reads as it was committed', () => {
  const run = spawnSync('node', [path.join(__dirname, '../../scripts/check-migrations.js')], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
});
