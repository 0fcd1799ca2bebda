import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from '../config';
import { createLogger } from '../logger';
import { run } from '../main';
import { resolveTemporalCli } from '../tools/go-tools';
import { connectClient, externalAddress } from '../temporal/connection';
import { mainTaskQueue } from '../temporal/task-queues';
import { workflowBundle } from '../temporal/workflow-bundle';
import { ping } from '../temporal/ping-workflow-client';
import { registerClusterCommands } from './cluster';
import { registerKeyCommands } from './keys';
import { registerOrderCommands } from './orders';
import { CliError, printResult } from './output';
import { registerStoreCommands } from './stores';
import { registerSubscriptionCommands } from './subscriptions';
import { withDatabase } from './with-database';

const program = new Command('sellflow')
  .description('Sellflow: order orchestration for digital-goods stores')
  .showHelpAfterError()
  .exitOverride();

function serve(role: 'all' | 'api' | 'worker') {
  return async () => {
    const config = loadConfig();
    await run(role, config, createLogger(config.logLevel, config.logFormat));
  };
}

program.command('start').description('everything in one process: Temporal dev server, database, worker and API').action(serve('all'));
program.command('api').description('the HTTP API only (external Temporal and database)').action(serve('api'));
program.command('worker').description('the Temporal worker only (external Temporal and database)').action(serve('worker'));

program
  .command('build')
  .description('build the workflow bundle workers load (once per change of the workflow sources)')
  .option('--json', 'print one JSON object')
  .action(async (opts: { json?: boolean }) => {
    // The bundle a worker with this environment loads: the traced one when an OTLP endpoint is set.
    const bundle = await workflowBundle(undefined, { rebuild: true, tracing: Boolean(loadConfig().tracing.otlpEndpoint) });
    printResult(
      Boolean(opts.json),
      { bundle: bundle.codePath, digest: bundle.digest },
      () => `Workflow bundle ${bundle.codePath} (sources ${bundle.digest.slice(0, 12)})`,
    );
  });

program
  .command('migrate')
  .description('bring the database schema up to date')
  .option('--json', 'print one JSON object')
  .action(async (opts: { json?: boolean }) => {
    // withDatabase migrates before it hands over the connection.
    await withDatabase(async () => undefined);
    printResult(Boolean(opts.json), { migrated: true }, () => 'Database schema is up to date.');
  });

program
  .command('ping')
  .description('run the ping workflow through Temporal, the worker and the database')
  .option('--json', 'print one JSON object')
  .action(async (opts: { json?: boolean }) => {
    const config = loadConfig();
    const temporal = await connectClient(config, externalAddress(config));
    try {
      const result = await ping(temporal.client, mainTaskQueue(config.temporal.taskQueuePrefix), 'ping from the CLI');
      printResult(Boolean(opts.json), result, () => `pong from ${result.workflowId} (database time ${result.databaseTime})`);
    } finally {
      await temporal.close();
    }
  });

program
  .command('temporal-cli')
  .description('find or build the Temporal CLI and print its path')
  .option('--json', 'print one JSON object')
  .action(async (opts: { json?: boolean }) => {
    const config = loadConfig();
    const found = await resolveTemporalCli({
      configuredPath: config.temporal.cliPath,
      searchPath: config.temporal.searchPath,
      onProgress: (line) => process.stderr.write(line + '\n'),
    });
    printResult(Boolean(opts.json), found, () => `${found.path} (${found.source})`);
  });

registerStoreCommands(program);
registerClusterCommands(program);
registerKeyCommands(program);
registerOrderCommands(program);
registerSubscriptionCommands(program);

async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    const known = error instanceof CliError || error instanceof ConfigError;
    const message = error instanceof Error ? error.message : String(error);
    const code = error instanceof CliError ? error.code : error instanceof ConfigError ? 'invalid_config' : 'internal_error';
    if (json) process.stdout.write(JSON.stringify({ error: { code, message } }) + '\n');
    else process.stderr.write(`sellflow: ${message}\n`);
    if (!known && !json) process.stderr.write(`${error instanceof Error ? error.stack : ''}\n`);
    process.exitCode = 1;
  }
}

void main(process.argv);
