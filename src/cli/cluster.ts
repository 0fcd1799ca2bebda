import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config';
import { resolveClusterTools, startCluster } from '../temporal/cluster';
import { CliError, printResult } from './output';
import { positiveInt } from './parse';

const progress = (line: string) => process.stderr.write(line + '\n');

function frontendPort(value: string): number {
  const port = positiveInt(value);
  if (port > 65_535) throw new CliError('--port is at most 65535', 'invalid_argument');
  return port;
}

/** `sellflow cluster`: Temporal's full server on PostgreSQL, for running as production does. */
export function registerClusterCommands(program: Command): void {
  const cluster = program.command('cluster').description("Temporal's full server on PostgreSQL (instead of the dev server)");

  cluster
    .command('build')
    .description('build temporal-server and temporal-sql-tool into .tools/bin (first run only) and print their paths')
    .option('--json', 'print one JSON object')
    .action(async (opts: { json?: boolean }) => {
      const config = loadConfig();
      const tools = await resolveClusterTools({ searchPath: config.temporal.searchPath, onProgress: progress });
      printResult(Boolean(opts.json), tools, () => `${tools.server}\n${tools.sqlTool}\nschema: ${tools.schemaDir}`);
    });

  cluster
    .command('start')
    .description('set up (or upgrade) its two databases with Temporal’s schema tool, start it, and run until Ctrl-C')
    .option('--database-url <url>', 'the Postgres server (default: DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres)')
    .option('--database-prefix <name>', 'databases <name> and <name>_visibility', 'temporal')
    .option('--port <port>', 'the frontend gRPC port (TEMPORAL_ADDRESS=127.0.0.1:<port>)', '7233')
    .option('--json', 'print one JSON object once the server is up')
    .action(async (opts: { databaseUrl?: string; databasePrefix: string; port: string; json?: boolean }) => {
      const config = loadConfig();
      const databaseUrl = opts.databaseUrl ?? config.database.url ?? 'postgres://postgres@127.0.0.1:5432/postgres';
      if (!/^postgres(ql)?:\/\//.test(databaseUrl)) throw new CliError('--database-url must be a postgres:// URL', 'invalid_argument');
      if (!/^[a-z_][a-z0-9_]{0,40}$/.test(opts.databasePrefix))
        throw new CliError('--database-prefix is a lower-case Postgres name (letters, digits, _)', 'invalid_argument');
      const tools = await resolveClusterTools({ searchPath: config.temporal.searchPath, onProgress: progress });
      const running = await startCluster(tools, {
        databaseUrl,
        databasePrefix: opts.databasePrefix,
        port: frontendPort(opts.port),
        namespace: config.temporal.namespace,
        dir: path.join(config.dataDir, 'temporal-cluster'),
        onProgress: progress,
      });
      printResult(
        Boolean(opts.json),
        { address: running.address, namespace: config.temporal.namespace, metrics: running.metricsUrl, log: running.logFile },
        () =>
          [
            `Temporal server up on ${running.address} (namespace ${config.temporal.namespace})`,
            `  metrics  ${running.metricsUrl}`,
            `  log      ${running.logFile}`,
            `Point Sellflow at it: TEMPORAL_ADDRESS=${running.address} npx sellflow api (and npx sellflow worker)`,
            'Ctrl-C stops it.',
          ].join('\n'),
      );
      await new Promise<void>((resolve) => {
        const stop = () => void running.stop().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
