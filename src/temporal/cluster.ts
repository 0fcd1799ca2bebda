import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import pg from 'pg';
import { goToolchain, GoToolUnavailableError, resolveGoTool, type ResolveOptions } from '../tools/go-tools';
import { freePort } from './dev-server';
import { SEARCH_ATTRIBUTE_FLAGS } from './search-attributes';

const run = promisify(execFile);

/** The server the CLI v1.5.1 (our dev server) embeds: the same engine, on Postgres instead of SQLite. */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';

export interface ClusterTools {
  server: string;
  sqlTool: string;
  /** Temporal's own PostgreSQL schema (`schema/postgresql/v12`) of that version. */
  schemaDir: string;
}

/** The server and its schema tool, built once into `.tools/bin` like the CLI. */
export async function resolveClusterTools(options: ResolveOptions): Promise<ClusterTools> {
  const server = await resolveGoTool(
    {
      name: 'temporal-server',
      binary: 'server',
      module: `go.temporal.io/server/cmd/server@${TEMPORAL_SERVER_VERSION}`,
      configuredVariable: 'TEMPORAL_SERVER_PATH',
    },
    options,
  );
  const sqlTool = await resolveGoTool(
    {
      name: 'temporal-sql-tool',
      binary: 'sql',
      module: `go.temporal.io/server/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}`,
      configuredVariable: 'TEMPORAL_SQL_TOOL_PATH',
    },
    options,
  );
  return { server: server.path, sqlTool: sqlTool.path, schemaDir: await serverSchemaDir(options.searchPath) };
}

async function serverSchemaDir(searchPath: string): Promise<string> {
  const go = goToolchain(searchPath);
  if (!go) throw new GoToolUnavailableError("Temporal's schema files come from its Go module: install Go");
  const { stdout } = await run(go, ['mod', 'download', '-json', `go.temporal.io/server@${TEMPORAL_SERVER_VERSION}`], {
    env: { ...process.env, GOFLAGS: '-mod=mod' },
    maxBuffer: 1 << 20,
  });
  return path.join((JSON.parse(stdout) as { Dir: string }).Dir, 'schema', 'postgresql', 'v12');
}

export interface ClusterOptions {
  /** A Postgres server URL; the cluster's two databases are created on it. */
  databaseUrl: string;
  /** Names the databases `<prefix>` and `<prefix>_visibility`. */
  databasePrefix: string;
  /** The frontend's gRPC port (what TEMPORAL_ADDRESS points at). */
  port: number;
  namespace: string;
  /** Config, dynamic config and the server's log live here. */
  dir: string;
  onProgress?: (line: string) => void;
}

export interface RunningCluster {
  address: string;
  /** Prometheus metrics of the server (actions, persistence, latencies). */
  metricsUrl: string;
  logFile: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Creates (or upgrades) the cluster's databases with Temporal's own schema tool. Idempotent:
 * an existing database is only brought up to the version's latest schema.
 */
export async function setupClusterDatabases(tools: ClusterTools, options: ClusterOptions): Promise<void> {
  const url = new URL(options.databaseUrl);
  const admin = new pg.Client({ connectionString: options.databaseUrl });
  await admin.connect();
  try {
    for (const [database, schema] of [
      [options.databasePrefix, 'temporal'],
      [`${options.databasePrefix}_visibility`, 'visibility'],
    ] as const) {
      const exists = await admin.query('select 1 from pg_database where datname = $1', [database]);
      if (exists.rowCount === 0) await admin.query(`create database ${pg.escapeIdentifier(database)}`);
      const tool = [
        '--plugin',
        'postgres12',
        '--endpoint',
        url.hostname,
        '--port',
        url.port || '5432',
        '--user',
        decodeURIComponent(url.username || 'postgres'),
        ...(url.password ? ['--password', decodeURIComponent(url.password)] : []),
        '--database',
        database,
      ];
      const versioned = await hasSchemaVersion(options.databaseUrl, database);
      if (!versioned) await run(tools.sqlTool, [...tool, 'setup-schema', '-v', '0.0']);
      await run(tools.sqlTool, [...tool, 'update-schema', '-d', path.join(tools.schemaDir, schema, 'versioned')]);
      options.onProgress?.(`schema of ${database} is up to date`);
    }
  } finally {
    await admin.end();
  }
}

async function hasSchemaVersion(serverUrl: string, database: string): Promise<boolean> {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const found = await client.query("select 1 from information_schema.tables where table_name = 'schema_version'");
    return (found.rowCount ?? 0) > 0;
  } finally {
    await client.end();
  }
}

/**
 * Starts Temporal's server (frontend, history, matching and worker services in one process)
 * on the cluster's databases, registers the namespace and our search attributes, and
 * resolves once the frontend answers.
 */
export async function startCluster(tools: ClusterTools, options: ClusterOptions): Promise<RunningCluster> {
  await setupClusterDatabases(tools, options);
  const configDir = path.join(options.dir, 'config');
  fs.mkdirSync(configDir, { recursive: true });
  const ports = { frontendHttp: await freePort(), metrics: await freePort() };
  const internal = await Promise.all(Array.from({ length: 7 }, () => freePort()));
  fs.writeFileSync(path.join(options.dir, 'dynamicconfig.yaml'), DYNAMIC_CONFIG);
  fs.writeFileSync(
    path.join(configDir, 'sellflow.yaml'),
    clusterConfig(options, { ...ports, internal, dynamicConfig: path.join(options.dir, 'dynamicconfig.yaml') }),
  );
  const logFile = path.join(options.dir, 'temporal-server.log');
  const log = fs.openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    tools.server,
    ['--root', options.dir, '--config', 'config', '--env', 'sellflow', '--allow-no-auth', 'start'],
    {
      stdio: ['ignore', log, log],
    },
  );
  fs.closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const address = `127.0.0.1:${options.port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };
  try {
    await registerNamespace(address, options.namespace, child, logFile);
    options.onProgress?.(`Temporal server on ${address} (namespace ${options.namespace}, Postgres ${options.databasePrefix})`);
  } catch (error) {
    await stop();
    throw error;
  }
  return { address, metricsUrl: `http://127.0.0.1:${ports.metrics}/metrics`, logFile, pid: child.pid!, stop };
}

async function registerNamespace(address: string, namespace: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  let connection: Connection | undefined;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The Temporal server exited with ${child.exitCode}; see ${logFile}`);
    try {
      connection = await Connection.connect({ address, connectTimeout: 2_000 });
      await connection.workflowService.getSystemInfo({});
      break;
    } catch (error) {
      await connection?.close();
      connection = undefined;
      if (Date.now() > deadline) throw new Error(`The Temporal server did not answer on ${address}; see ${logFile}`, { cause: error });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    try {
      await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('3 days') });
    } catch (error) {
      if (!/already exists/i.test(String(error))) throw error;
    }
    const types = temporal.api.enums.v1.IndexedValueType;
    const searchAttributes = Object.fromEntries(
      SEARCH_ATTRIBUTE_FLAGS.map((flag) => {
        const [name, type] = flag.split('=') as [string, string];
        return [name, type === 'Bool' ? types.INDEXED_VALUE_TYPE_BOOL : types.INDEXED_VALUE_TYPE_KEYWORD];
      }),
    );
    // A new namespace reaches every service's cache within the refresh interval (1 s here).
    for (;;) {
      try {
        await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
        break;
      } catch (error) {
        if (/already exists/i.test(String(error))) break;
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } finally {
    await connection.close();
  }
}

/** Dev-server-like settings: search attributes visible at once, namespaces known within a second. */
const DYNAMIC_CONFIG = `system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
system.namespaceCacheRefreshInterval:
  - value: 1s
frontend.persistenceMaxQPS:
  - value: 10000
history.persistenceMaxQPS:
  - value: 45000
frontend.enableUpdateWorkflowExecution:
  - value: true
system.enableEagerWorkflowStart:
  - value: true
`;

function clusterConfig(
  options: ClusterOptions,
  ports: { frontendHttp: number; metrics: number; internal: number[]; dynamicConfig: string },
): string {
  const url = new URL(options.databaseUrl);
  const datastore = (database: string, maxConns: number) => `      sql:
        pluginName: "postgres12"
        databaseName: ${JSON.stringify(database)}
        connectAddr: ${JSON.stringify(`${url.hostname}:${url.port || '5432'}`)}
        connectProtocol: "tcp"
        user: ${JSON.stringify(decodeURIComponent(url.username || 'postgres'))}
        password: ${JSON.stringify(decodeURIComponent(url.password))}
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: "1h"`;
  const [historyGrpc, matchingGrpc, workerGrpc, frontendMembership, historyMembership, matchingMembership, workerMembership] =
    ports.internal as [number, number, number, number, number, number, number];
  const service = (grpc: number, membership: number, extra = '') => `    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnLocalHost: true${extra}`;
  return `log:
  stdout: true
  level: warn
persistence:
  defaultStore: sellflow-default
  visibilityStore: sellflow-visibility
  numHistoryShards: 4
  datastores:
    sellflow-default:
${datastore(options.databasePrefix, 20)}
    sellflow-visibility:
${datastore(`${options.databasePrefix}_visibility`, 4)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  metrics:
    prometheus:
      framework: "tally"
      timerType: "histogram"
      listenAddress: "127.0.0.1:${ports.metrics}"
services:
  frontend:
${service(options.port, frontendMembership, `\n      httpPort: ${ports.frontendHttp}`)}
  history:
${service(historyGrpc, historyMembership)}
  matching:
${service(matchingGrpc, matchingMembership)}
  worker:
${service(workerGrpc, workerMembership)}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:${options.port}"
dcRedirectionPolicy:
  policy: "noop"
dynamicConfigClient:
  filepath: ${JSON.stringify(ports.dynamicConfig)}
  pollInterval: "10s"
`;
}
