import fs from 'node:fs';
import path from 'node:path';
import { BUNDLE_DIR, workflowBundle, workflowSourceDigest } from '../../src/temporal/workflow-bundle';

/** Workers load a prebuilt workflow bundle, and never a stale one. */
describe('the workflow bundle', () => {
  const manifest = path.join(BUNDLE_DIR, 'workflow-bundle.json');

  it('is built once and then reused while the workflow sources are unchanged', async () => {
    const first = await workflowBundle();
    const again = await workflowBundle();
    expect(again).toEqual({ codePath: first.codePath, digest: workflowSourceDigest(), built: false });
    expect(fs.readFileSync(first.codePath, 'utf8')).toContain('eventDispatcher');
  }, 60_000);

  it('is rebuilt when the sources it was built from are not the ones on disk', async () => {
    await workflowBundle();
    fs.writeFileSync(manifest, JSON.stringify({ digest: 'built-from-other-sources' }));
    const rebuilt = await workflowBundle();
    expect(rebuilt.built).toBe(true);
    expect(JSON.parse(fs.readFileSync(manifest, 'utf8')).digest).toBe(workflowSourceDigest());
  }, 60_000);
});
