import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * A Postgres cluster of the test's own (the machine's binaries, a temp data directory, a
 * loopback port), so a chaos test can SIGKILL its server and start it again without
 * touching the machine's. Runs as the `postgres` user when the test runs as root.
 */
export interface OwnPostgres {
  url: string;
  /** SIGKILL the server, as a crash would. */
  kill(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

function binaries(): string {
  const versions = fs.readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error('No PostgreSQL server binaries under /usr/lib/postgresql');
  return path.join('/usr/lib/postgresql', versions[0]!, 'bin');
}

export async function ownPostgres(port: number): Promise<OwnPostgres> {
  const bin = binaries();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sellflow-pg-'));
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const user = asRoot
    ? { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) }
    : {};
  if (asRoot) fs.chownSync(dir, user.uid!, user.gid!);
  execFileSync(path.join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'], {
    ...user,
    stdio: 'ignore',
    cwd: dir,
  });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let server: ChildProcess | null = null;

  const ready = async () => {
    for (let i = 0; i < 150; i += 1) {
      const client = new pg.Client({ connectionString: url });
      try {
        await client.connect();
        await client.query('select 1');
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    throw new Error(`Own Postgres on ${port} did not come up`);
  };

  const start = async () => {
    // After a SIGKILL the old backends notice their postmaster's death and leave; until then a new one refuses to start.
    for (let attempt = 0; ; attempt += 1) {
      server = spawn(
        path.join(bin, 'postgres'),
        ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
        { ...user, stdio: 'ignore', cwd: dir },
      );
      const exited = new Promise<boolean>((resolve) => server!.once('exit', () => resolve(true)));
      const up = ready().then(() => false);
      if (!(await Promise.race([exited, up]))) return;
      if (attempt > 20) throw new Error('Own Postgres would not restart');
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  await start();
  return {
    url,
    start,
    async kill() {
      const running = server;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGKILL');
      await exited;
    },
    async close() {
      const running = server;
      if (running && running.exitCode === null) {
        const exited = new Promise((resolve) => running.once('exit', resolve));
        running.kill('SIGINT');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
