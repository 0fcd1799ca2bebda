import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { resolveTemporalCli } from '../../src/tools/go-tools';
import { freePort, startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { WORKFLOWS_PATH } from '../../src/worker';

declare global {
  var __SELLFLOW_TEST_DEV_SERVER__: DevServer | undefined;
  var __SELLFLOW_TEST_DIR__: string | undefined;
}

/**
 * One real Temporal dev server and one workflow bundle for the whole run; each test file
 * gets its own database and task queue. Addresses reach the test workers through env.
 */
export default async function globalSetup(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sellflow-test-'));
  const cli = await resolveTemporalCli({
    configuredPath: process.env.TEMPORAL_CLI_PATH,
    searchPath: process.env.PATH ?? '',
    onProgress: (line) => process.stderr.write(`${line}\n`),
  });
  const dev = await startDevServer({
    binary: cli.path,
    port: await freePort(),
    uiPort: null,
    dbFile: path.join(dir, 'temporal.sqlite'),
    namespace: 'default',
    logFile: path.join(dir, 'temporal.log'),
  });
  const bundle = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: {
      log: () => undefined,
      trace: () => undefined,
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: (m) => process.stderr.write(`${m}\n`),
    },
  });
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, bundle.code);

  process.env.SELLFLOW_TEST_TEMPORAL_ADDRESS = dev.address;
  process.env.SELLFLOW_TEST_TEMPORAL_CLI = cli.path;
  process.env.SELLFLOW_TEST_WORKFLOW_BUNDLE = bundlePath;
  globalThis.__SELLFLOW_TEST_DEV_SERVER__ = dev;
  globalThis.__SELLFLOW_TEST_DIR__ = dir;
}
