import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_FLAGS } from './search-attributes';

export interface DevServerOptions {
  binary: string;
  port: number;
  /** null: headless (no UI). */
  uiPort: number | null;
  dbFile: string;
  namespace: string;
  /** Where the server's own log goes; its output would drown ours. */
  logFile: string;
  startTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl: string | null;
  pid: number;
  stop(): Promise<void>;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/**
 * A free loopback port below the kernel's ephemeral range (32768+), so a port chosen here
 * is not handed out meanwhile to some process's outgoing or port-0 socket.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const candidate = 20_000 + Math.floor(Math.random() * 12_000);
    if (await portIsFree(candidate)) return candidate;
  }
  throw new Error('No free port found between 20000 and 32000');
}

function pidFile(dbFile: string): string {
  return `${dbFile}.pid`;
}

/**
 * A dev server we started earlier and lost track of (our process was killed hard) still
 * holds the SQLite file and the port: stop it, but only if it is really ours.
 */
function stopOrphan(dbFile: string): void {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile(dbFile), 'utf8'));
  } catch {
    return;
  }
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmdline.includes('start-dev') && cmdline.includes(dbFile)) process.kill(pid, 'SIGKILL');
  } catch {
    // Not running any more.
  }
  fs.rmSync(pidFile(dbFile), { force: true });
}

async function waitUntilServing(address: string, namespace: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Temporal dev server exited with code ${child.exitCode}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(`Temporal dev server did not answer on ${address} within ${timeoutMs} ms: ${String(lastError)}`);
}

/** Starts `temporal server start-dev` as a child process and waits until it serves. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  fs.mkdirSync(path.dirname(options.dbFile), { recursive: true });
  stopOrphan(options.dbFile);
  for (const port of [options.port, options.uiPort]) {
    if (port !== null && !(await portIsFree(port))) {
      throw new Error(
        `Port ${port} is in use: another Temporal server? Set TEMPORAL_ADDRESS to use it, or TEMPORAL_DEV_PORT / TEMPORAL_UI_PORT to move ours`,
      );
    }
  }
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--db-filename',
    options.dbFile,
    '--namespace',
    options.namespace,
    '--log-level',
    'warn',
    ...(options.uiPort === null ? ['--headless'] : ['--ui-port', String(options.uiPort)]),
    ...SEARCH_ATTRIBUTE_FLAGS.flatMap((flag) => ['--search-attribute', flag]),
  ];
  const log = fs.openSync(options.logFile, 'a');
  const child = spawn(options.binary, args, { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  if (child.pid === undefined) throw new Error(`Could not start ${options.binary}`);
  fs.writeFileSync(pidFile(options.dbFile), String(child.pid));
  const address = `127.0.0.1:${options.port}`;

  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exitedPromise;
      clearTimeout(timer);
    }
    fs.rmSync(pidFile(options.dbFile), { force: true });
  };
  try {
    await waitUntilServing(address, options.namespace, child, options.startTimeoutMs ?? 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    address,
    uiUrl: options.uiPort === null ? null : `http://127.0.0.1:${options.uiPort}`,
    pid: child.pid,
    stop,
  };
}
