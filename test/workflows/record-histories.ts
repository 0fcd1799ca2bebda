/**
 * Records workflow histories for the replay test: runs each scenario on a fresh dev server
 * and embedded database, then writes the histories to test/workflows/histories/.
 * Usage: npm run record-histories
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { loadConfig } from '../../src/config';
import { openEmbedded } from '../../src/db/connect';
import { migrateToLatest } from '../../src/db/migrate';
import { createLogger } from '../../src/logger';
import { installTemporalRuntimeLogger } from '../../src/temporal/runtime-logger';
import { resolveTemporalCli } from '../../src/tools/go-tools';
import { connectClient, connectWorker } from '../../src/temporal/connection';
import { freePort, startDevServer } from '../../src/temporal/dev-server';
import { createWorker } from '../../src/worker';

interface Scenario {
  name: string;
  workflowType: string;
  args: unknown[];
}

const scenarios: Scenario[] = [{ name: 'ping', workflowType: 'ping', args: ['recorded'] }];

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sellflow-record-'));
  const config = loadConfig({ ...process.env, SELLFLOW_DATA_DIR: dir, LOG_LEVEL: 'warn' });
  installTemporalRuntimeLogger(createLogger('warn'));
  const cli = await resolveTemporalCli({ configuredPath: config.temporal.cliPath, searchPath: config.temporal.searchPath });
  const dev = await startDevServer({ binary: cli.path, port: await freePort(), uiPort: null, dbFile: path.join(dir, 't.sqlite'), namespace: 'default', logFile: path.join(dir, 't.log') });
  const database = await openEmbedded(path.join(dir, 'pglite'), { own: true });
  await migrateToLatest(database.db);
  const connection = await connectWorker(config, dev.address);
  const taskQueue = 'record-histories';
  const worker = await createWorker({ config, db: database.db, connection, logger: createLogger('warn'), taskQueue });
  const temporal = await connectClient(config, dev.address);
  const out = path.join(__dirname, 'histories');
  fs.mkdirSync(out, { recursive: true });
  try {
    await worker.runUntil(async () => {
      for (const scenario of scenarios) {
        const workflowId = `${scenario.name}`;
        await temporal.client.workflow.execute(scenario.workflowType, { taskQueue, workflowId, args: scenario.args });
        const history = await temporal.client.workflow.getHandle(workflowId).fetchHistory();
        fs.writeFileSync(path.join(out, `${scenario.name}.json`), JSON.stringify(JSON.parse(historyToJSON(history)), null, 2) + '\n');
        process.stdout.write(`recorded ${scenario.name} (${history.events?.length ?? 0} events)\n`);
      }
    });
  } finally {
    await temporal.close();
    await connection.close();
    await database.close();
    await dev.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
